package dev.ccpo.counterfactual;

import ai.djl.Device;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.testkit.TinyModels;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.worker.RolePolicies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** computeAll on the real tiny CausalLM: batched across trajectories, yet each trajectory samples as if alone. */
class CounterfactualComputerTest {
    private static final int MAX_NEW_TOKENS = 24;
    private static final int K = 3;

    private static Verifier verifier;
    private static RolePolicies<ChatModel> policies;
    private static CounterfactualComputer computer;
    /** Trajectories of three groups and two tasks, generated at v0 and v1, and one VOTING trajectory. */
    private static List<Trajectory> trajectories;
    private static int calls;

    /** Counts the calls into the real model it wraps. */
    private record Counting(ChatModel inner) implements ChatModel {
        @Override
        public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
            calls++;
            return inner.complete(conversations, params);
        }

        @Override
        public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params, long[] rowSeeds) {
            calls++;
            return inner.complete(conversations, params, rowSeeds);
        }

        @Override
        public int vocabSize() { return inner.vocabSize(); }

        @Override
        public void close() { inner.close(); }
    }

    @BeforeAll
    static void setUp() throws Exception {
        verifier = new Verifier();
        Path dir = TinyModels.checkpoint(1);
        Map<String, ChatModel> initial = new LinkedHashMap<>();
        for (String role : TeamSpec.thinkReason().policyKeys()) initial.put(role, new Counting(CausalLM.open(dir, Device.cpu())));
        policies = new RolePolicies<>(initial, 0, (role, bytes) -> new Counting(CausalLM.open(dir, Device.cpu(), bytes)), 2);
        byte[] v1 = TinyModels.weights(2);
        policies.refresh((role, current) -> current < 1
                ? Optional.of(new WeightsBlob("m", role, 1, v1, WeightsBlob.sha256Hex(v1))) : Optional.empty());
        computer = new CounterfactualComputer(policies, new PromptLibrary(), verifier,
                new SamplingParams(1f, 1f, MAX_NEW_TOKENS, List.of(), 0), K, 9, "cf");

        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        ChatModel base = policies.forVersion("reasoner", 0).model();
        TaskRecord other = new TaskRecord("t-b", "it", "What is 13+29?", "42", AnswerKind.NUMERIC);
        trajectories = new ArrayList<>();
        trajectories.addAll(RealTrajectories.group(runner, base, "ga", RealTrajectories.task("t-a"), 2, MAX_NEW_TOKENS, 0, 11));
        trajectories.addAll(RealTrajectories.group(runner, base, "gb", other, 2, MAX_NEW_TOKENS, 1, 12));
        Trajectory voting = CounterfactualHandlerTest.trajectory(Topology.VOTING, List.of(vote(0, "2"), vote(1, "3"), vote(2, "2")), 0);
        voting.setTrajectoryId("gv/1");
        voting.setGroupId("gv");
        trajectories.add(voting);
        trajectories.addAll(RealTrajectories.group(runner, base, "gc", RealTrajectories.task("t-a"), 1, MAX_NEW_TOKENS, 0, 13));
    }

    @AfterAll
    static void tearDown() {
        policies.close();
        verifier.close();
    }

    private static Turn vote(int agent, String answer) {
        return Turn.newBuilder().setAgentId(agent).setRole("voter").setPromptTokenIds(List.of(1)).setOutputTokenIds(List.of(2))
                .setBehaviourLogProbs(List.of(-0.3f)).setText("\\boxed{" + answer + "}").build();
    }

    /** An outcome with the one field that may differ between runs (when it was made) zeroed. */
    private static CounterfactualOutcome timeless(CounterfactualOutcome o) {
        return CounterfactualOutcome.newBuilder(o).setCreatedAtMs(Instant.EPOCH).build();
    }

    private static List<CounterfactualOutcome> timeless(List<CounterfactualOutcome> outcomes) {
        return outcomes.stream().map(CounterfactualComputerTest::timeless).toList();
    }

    @Test
    void computeAllEqualsEachTrajectoryAloneInOneCallPerPolicyVersion() {
        calls = 0;
        List<List<CounterfactualOutcome>> all = computer.computeAll(trajectories);
        assertEquals(2, calls, "the Reasoner at v0 (groups ga, gc) and at v1 (group gb): one call each; VOTING none");
        assertEquals(trajectories.size(), all.size());
        Set<String> answers = new HashSet<>();
        for (int i = 0; i < trajectories.size(); i++) {
            Trajectory t = trajectories.get(i);
            List<CounterfactualOutcome> alone = computer.computeAll(List.of(t)).get(0);
            assertEquals(timeless(alone), timeless(all.get(i)), t.getTrajectoryId());
            for (CounterfactualOutcome o : all.get(i)) {
                assertEquals(t.getTrajectoryId(), o.getTrajectoryId());
                assertEquals(t.getPolicyVersion(), o.getPolicyVersion(), "v0 and v1 both kept: each re-runs with its own");
                answers.addAll(o.getAnswers());
            }
        }
        assertEquals(3, all.get(trajectories.indexOf(trajectories.stream()
                .filter(t -> t.getTopology() == dev.ccpo.avro.Topology.VOTING).findFirst().orElseThrow())).size(), "one per voter");
        // The comparison only means something if the samples tell trajectories apart.
        assertTrue(answers.size() >= 3, "the re-runs' answers vary: " + answers);
    }

    @Test
    void aTrajectorySamplesTheSameWhateverItsNeighboursAndItsPlaceInTheBatch() {
        Trajectory ga0 = trajectories.get(0);
        Trajectory ga1 = trajectories.get(1);
        Trajectory gc0 = trajectories.get(trajectories.size() - 1);
        List<CounterfactualOutcome> first = timeless(computer.computeAll(List.of(ga0, ga1, gc0)).get(0));
        List<CounterfactualOutcome> last = timeless(computer.computeAll(List.of(gc0, ga1, ga0)).get(2));
        List<CounterfactualOutcome> between = timeless(computer.computeAll(List.of(gc0, ga0)).get(1));
        assertEquals(first, last, "reversed batch");
        assertEquals(first, between, "other neighbours");
        // Same task, same version, same prompt: only the trajectory's own seed separates ga0 from ga1.
        List<List<CounterfactualOutcome>> both = computer.computeAll(List.of(ga0, ga1));
        assertTrue(!both.get(0).get(0).getAnswers().equals(both.get(1).get(0).getAnswers()),
                "ga0 and ga1 draw different samples: " + both);
    }
}
