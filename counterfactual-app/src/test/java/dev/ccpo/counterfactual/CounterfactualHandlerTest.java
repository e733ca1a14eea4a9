package dev.ccpo.counterfactual;

import dev.ccpo.testkit.FakeChatModel;
import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.CounterfactualMethod;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.PromptTooLongException;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CounterfactualHandlerTest {
    private final RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
    private final Verifier verifier = new Verifier();

    @AfterEach
    void closeVerifier() { verifier.close(); }

    private static Turn turn(int agent, String role, String text) {
        return Turn.newBuilder().setAgentId(agent).setRole(role).setPromptTokenIds(List.of(1, 2)).setOutputTokenIds(List.of(3))
                .setBehaviourLogProbs(List.of(-0.1f)).setText(text).build();
    }

    static Trajectory trajectory(Topology topology, List<Turn> turns, long version) {
        Task task = Task.newBuilder().setTaskId("t").setDataset("d").setQuestion("1+1?").setReferenceAnswer("2")
                .setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of()).build();
        return Trajectory.newBuilder().setTrajectoryId("g/1").setGroupId("g").setGroupIndex(1).setGroupSize(4).setTask(task)
                .setTopology(topology).setPolicyVersion(version).setTurns(turns).setFinalAnswer("2").setReward(1.0)
                .setCreatedAtMs(Instant.ofEpochMilli(1)).setWorkerId("gen").setTemperature(1f).build();
    }

    private RolePolicies<ChatModel> policies(FakeChatModel base) {
        Map<String, ChatModel> initial = new LinkedHashMap<>();
        for (String role : TeamSpec.thinkReason().policyKeys()) initial.put(role, base);
        return new RolePolicies<>(initial, 0, (r, b) -> new FakeChatModel(new String(b)), 2);
    }

    private CounterfactualHandler handler(RolePolicies<ChatModel> p, RolePolicies.NewerWeights w, int k) {
        CounterfactualComputer c = new CounterfactualComputer(p, new PromptLibrary(), verifier,
                new SamplingParams(1f, 1f, 8, List.of(), 0), k, 9, "cf");
        return new CounterfactualHandler(c, p, w, serdes.counterfactual(), "ccpo.counterfactuals", 16);
    }

    /** The records of a trajectory handled alone; its failure thrown. */
    private static List<ProducerRecord<byte[], byte[]>> handled(CounterfactualHandler h, Trajectory t) {
        TransactionalWorker.Result r = h.handle(List.of(t)).get(0);
        if (r.failure() != null) throw r.failure();
        return r.outputs();
    }

    private List<CounterfactualOutcome> outcomes(List<ProducerRecord<byte[], byte[]>> recs, String key) {
        List<CounterfactualOutcome> out = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : recs) {
            assertEquals(key, new String(r.key(), StandardCharsets.UTF_8));
            out.add(serdes.counterfactual().deserialize(r.topic(), r.value()));
        }
        return out;
    }

    @Test
    void thinkReasonRerunsReasonerKTimesWithTrajectoryVersion() {
        FakeChatModel base = new FakeChatModel("2");
        CounterfactualHandler h = handler(policies(base), null, 3);
        Trajectory t = trajectory(Topology.THINK_REASON, List.of(turn(0, "thinker", "plan"), turn(1, "reasoner", "\\boxed{2}")), 0);
        List<CounterfactualOutcome> out = outcomes(handled(h, t), "g");
        assertEquals(1, out.size(), "one masked agent (the Thinker)");
        CounterfactualOutcome o = out.get(0);
        assertEquals(0, o.getMaskedAgentId());
        assertEquals(CounterfactualMethod.RERUN, o.getMethod());
        assertEquals(3, o.getSamples());
        assertEquals(1.0, o.getMeanReward(), "fake reasoner alone answers 2");
        assertEquals(0, o.getPolicyVersion());
        assertEquals("g/1", o.getTrajectoryId());
        assertEquals(1, base.calls, "K samples in one batched call");
    }

    @Test
    void votingRecomputesWithoutModelCalls() {
        FakeChatModel base = new FakeChatModel("2");
        CounterfactualHandler h = handler(policies(base), null, 1);
        Trajectory t = trajectory(Topology.VOTING, List.of(turn(0, "voter", "\\boxed{2}"), turn(1, "voter", "\\boxed{2}"),
                turn(2, "voter", "\\boxed{3}")), 0);
        List<CounterfactualOutcome> out = outcomes(handled(h, t), "g");
        assertEquals(3, out.size(), "one outcome per voter");
        for (CounterfactualOutcome o : out) assertEquals(CounterfactualMethod.RECOMPUTE, o.getMethod());
        assertEquals(0, base.calls);
    }

    @Test
    void usesNewestWeightsWhenTrajectoryVersionNoLongerKept() {
        RolePolicies<ChatModel> p = policies(new FakeChatModel("2"));
        long[] next = {1};
        RolePolicies.NewerWeights w = (role, cur) -> cur < next[0]
                ? Optional.of(new WeightsBlob("m", role, next[0], "7".getBytes(), WeightsBlob.sha256Hex("7".getBytes())))
                : Optional.empty();
        CounterfactualHandler h = handler(p, w, 1);
        next[0] = 3;
        Trajectory old = trajectory(Topology.THINK_REASON, List.of(turn(0, "thinker", "plan"), turn(1, "reasoner", "x")), 0);
        CounterfactualOutcome o = outcomes(handled(h, old), "g").get(0);
        assertEquals(0, o.getPolicyVersion(), "v0 still kept (keep=2)");
        next[0] = 4;
        o = outcomes(handled(h, old), "g").get(0);
        assertEquals(4, o.getPolicyVersion(), "v0 evicted: newest used");
        assertEquals(0, o.getTrajectoryPolicyVersion());
        assertEquals(0.0, o.getMeanReward(), "new weights answer 7, reference is 2");
    }

    @Test
    void sameTrajectoryGivesSameSeed() {
        assertEquals(CounterfactualComputer.seedOf(9, "g/1"), CounterfactualComputer.seedOf(9, "g/1"));
        assertTrue(CounterfactualComputer.seedOf(9, "g/1") != CounterfactualComputer.seedOf(9, "g/2"));
    }

    @Test
    void inABatchTheInvalidAndThePoisonedTrajectoryFailAloneAndTheOthersAreProduced() throws Exception {
        // Real tiny model; two good THINK_REASON trajectories, one with a token outside the vocabulary (rejected by
        // validation) and one whose re-run prompt is over max.prompt.tokens (throws inside the batched model call).
        Path dir = RealTrajectories.checkpoint(1);
        try (RolePolicies<ChatModel> p = RealTrajectories.policies(dir, 2)) {
            CounterfactualComputer c = new CounterfactualComputer(p, new PromptLibrary(), verifier,
                    new SamplingParams(1f, 1f, 16, List.of(), 0).withLimits(2048, 0), 2, 9, "cf");
            CounterfactualHandler h = new CounterfactualHandler(c, p, null, serdes.counterfactual(), "ccpo.counterfactuals",
                    CharTokenizer.VOCAB);
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            List<Trajectory> group = RealTrajectories.group(runner, p.current("reasoner").model(), "g", RealTrajectories.task("t"),
                    4, 16, 0, 5);
            Trajectory bad = group.get(1);
            bad.getTurns().get(0).setOutputTokenIds(List.of(CharTokenizer.VOCAB + 1));
            Trajectory huge = group.get(2);
            huge.setTask(Task.newBuilder(huge.getTask()).setQuestion("7+".repeat(3000) + "1?").build()); // its own copy
            List<TransactionalWorker.Result> results = TransactionalWorker.handleIsolated(h, group);

            assertEquals(4, results.size());
            assertTrue(results.get(1).failure() instanceof RejectedRecordException, String.valueOf(results.get(1).failure()));
            assertTrue(results.get(1).failure().getMessage().contains("outside [0, " + CharTokenizer.VOCAB + ")"),
                    results.get(1).failure().getMessage());
            assertTrue(results.get(2).failure() instanceof PromptTooLongException, String.valueOf(results.get(2).failure()));
            for (int i : new int[]{0, 3}) {
                assertEquals(null, results.get(i).failure());
                List<CounterfactualOutcome> mine = outcomes(results.get(i).outputs(), "g");
                assertEquals(List.of("g/" + i), mine.stream().map(o -> o.getTrajectoryId().toString()).toList());
                assertEquals(timeless(outcomes(handled(h, group.get(i)), "g")), timeless(mine), "as if handled alone");
            }
        }
    }

    private static List<CounterfactualOutcome> timeless(List<CounterfactualOutcome> outcomes) {
        return outcomes.stream().map(o -> CounterfactualOutcome.newBuilder(o).setCreatedAtMs(Instant.EPOCH).build()).toList();
    }

    @Test
    void invalidTrajectoryIsRejectedForTheDlq() {
        CounterfactualHandler h = handler(policies(new FakeChatModel("2")), null, 1);
        Trajectory t = trajectory(Topology.THINK_REASON, List.of(turn(0, "thinker", "plan")), 0);
        t.getTurns().get(0).setOutputTokenIds(List.of(99));
        RejectedRecordException e = assertThrows(RejectedRecordException.class, () -> handled(h, t));
        assertTrue(e.getMessage().contains("outside [0, 16)"), e.getMessage());
    }
}
