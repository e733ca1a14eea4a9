package dev.ccpo.generator;

import dev.ccpo.testkit.FakeChatModel;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.cli.Progress;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeneratorLoopTest {

    @Test
    void producesGroupsKeyedByGroupIdAndWaitsWhenTooStale() throws Exception {
        RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
        List<TaskRecord> tasks = fourTasks();
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        try (Verifier verifier = new Verifier()) {
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            GroupGenerator gen = new GroupGenerator(runner, "g", 3, new SamplingParams(1f, 1f, 8, List.of(), 0), 1);
            RolePolicies<ChatModel> policies = answering2(runner);
            // Published version stays 0 until the loop has waited once, then jumps to 1.
            List<Long> waits = new ArrayList<>();
            long[] published = {0};
            GeneratorLoop.VersionSource versions = new GeneratorLoop.VersionSource() {
                public Optional<WeightsBlob> newerThan(String role, long v) { return Optional.empty(); }
                public long latestVersion() { return published[0]; }
                public long awaitVersion(long atLeast, Duration t) throws InterruptedException {
                    Thread.sleep(60);  // the learner takes its time: the wait shows on the progress line
                    waits.add(atLeast);
                    published[0] = atLeast;
                    return atLeast;
                }
            };
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            GeneratorLoop loop = new GeneratorLoop(TaskSource.ofList(tasks, 1, 5), gen, policies, versions, producer,
                    serdes.trajectory(), "ccpo.trajectories", 1, 1, new Progress("gen", "groups", -1, 0, new PrintStream(out)));
            assertEquals(4, loop.run());

            List<ProducerRecord<byte[], byte[]>> sent = producer.history();
            assertEquals(12, sent.size(), "4 groups x G=3");
            for (ProducerRecord<byte[], byte[]> r : sent) {
                Trajectory t = serdes.trajectory().deserialize(r.topic(), r.value());
                assertEquals(t.getGroupId(), new String(r.key(), StandardCharsets.UTF_8), "keyed by groupId");
            }
            // groups.per.version=1, lag=1: group 2 needs v1 published, group 3 needs v2
            assertEquals(List.of(1L, 2L), waits);
            assertTrue(out.toString().contains("WAITING for policy v1"), out.toString());
            assertTrue(out.toString().contains("groups/s"), out.toString());
            assertTrue(out.toString().matches("(?s).*waited for policies (0\\.[1-9]|[1-9][0-9]*\\.[0-9]) s \\(\\d+% of the run\\).*"),
                    "two waits of at least 60 ms each: " + out);
        }
    }

    private static List<TaskRecord> fourTasks() {
        List<TaskRecord> tasks = new ArrayList<>();
        for (int i = 0; i < 4; i++) tasks.add(new TaskRecord("t" + i, "d", "1+1?", "2", AnswerKind.NUMERIC));
        return tasks;
    }

    /** Every role's model answers "2", before and after any swap. */
    private static RolePolicies<ChatModel> answering2(TeamRunner runner) {
        Map<String, ChatModel> initial = new LinkedHashMap<>();
        for (String role : runner.team().policyKeys()) initial.put(role, new FakeChatModel("2"));
        return new RolePolicies<>(initial, 0, (r, b) -> new FakeChatModel("2"), 1);
    }

    /** A send that fails after the producer's retries stops the loop with the cause instead of going on past it. */
    @Test
    void aTrajectoryThatCannotBeWrittenStopsTheLoop() throws Exception {
        RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
        List<TaskRecord> tasks = fourTasks();
        // the fifth record (group 2 of G=3) expires in the producer, as after a long broker outage
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> r, Callback callback) {
                if (history().size() == 4) {
                    TimeoutException e = new TimeoutException("Expiring 1 record(s) for ccpo.trajectories-0: 120000 ms has passed since batch creation");
                    callback.onCompletion(null, e);
                    return CompletableFuture.failedFuture(e);
                }
                return super.send(r, callback);
            }
        };
        try (Verifier verifier = new Verifier()) {
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            GroupGenerator gen = new GroupGenerator(runner, "g", 3, new SamplingParams(1f, 1f, 8, List.of(), 0), 1);
            RolePolicies<ChatModel> policies = answering2(runner);
            GeneratorLoop loop = new GeneratorLoop(TaskSource.ofList(tasks, 1, 5), gen, policies, GeneratorLoop.NONE, producer,
                    serdes.trajectory(), "ccpo.trajectories", 1, 1, new Progress("gen", "groups", -1, 0, new PrintStream(new ByteArrayOutputStream())));
            IllegalStateException e = assertThrows(IllegalStateException.class, loop::run);
            assertTrue(e.getMessage().contains("could not be written to ccpo.trajectories") && e.getMessage().contains("Expiring 1 record"), e.getMessage());
            assertEquals(2, loop.groups(), "no group after the failed one");
        }
    }

    /**
     * A task whose question is a few hundred KB is refused before the model allocates anything and handed back to the
     * source (a topic source dead-letters it), and the loop goes on with the next task: no exit, no crash loop.
     */
    @Test
    void aPoisonTaskIsRejectedAndTheLoopGoesOn() throws Exception {
        RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
        List<TaskRecord> tasks = List.of(new TaskRecord("ok0", "d", "1+1?", "2", AnswerKind.NUMERIC),
                new TaskRecord("huge", "d", "7+".repeat(150_000) + "1?", "2", AnswerKind.NUMERIC),
                new TaskRecord("ok1", "d", "2+2?", "4", AnswerKind.NUMERIC));
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        List<String> rejected = new ArrayList<>();
        TaskSource list = TaskSource.ofList(tasks, 1, 0);
        TaskSource source = new TaskSource() {
            public Optional<Next> next() { return list.next(); }
            public boolean hasMore() { return list.hasMore(); }
            public void reject(Next task, String reason, Throwable cause) { rejected.add(task.task().taskId() + ": " + reason); }
        };
        try (Verifier verifier = new Verifier()) {
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            SamplingParams params = new SamplingParams(1f, 1f, 4, List.of(), 0).withLimits(2048, 60_000);
            GroupGenerator gen = new GroupGenerator(runner, "g", 2, params, 1);
            Map<String, ChatModel> initial = new LinkedHashMap<>();
            for (String role : runner.team().policyKeys())
                initial.put(role, dev.ccpo.policy.model.CausalLM.init(dev.ccpo.policy.model.ModelConfig.tiny(dev.ccpo.policy.model.CharTokenizer.VOCAB),
                        new dev.ccpo.policy.model.CharTokenizer(), 1, ai.djl.Device.cpu()));
            RolePolicies<ChatModel> policies = new RolePolicies<>(initial, 0, (r, b) -> { throw new AssertionError(); }, 1);
            GeneratorLoop loop = new GeneratorLoop(source, gen, policies, GeneratorLoop.NONE, producer, serdes.trajectory(),
                    "ccpo.trajectories", 1, 1, new Progress("gen", "groups", -1, 0, new PrintStream(new ByteArrayOutputStream())));
            assertEquals(2, loop.run(), "the two valid tasks are rolled out");
            assertEquals(1, loop.rejected());
            assertEquals(1, rejected.size(), rejected.toString());
            assertTrue(rejected.get(0).startsWith("huge: ") && rejected.get(0).contains("exceeds the limit of 2048 (max.prompt.tokens)"),
                    rejected.get(0));
            assertEquals(4, producer.history().size(), "2 groups x G=2, nothing of the refused task");
            policies.close();
        }
    }
}
