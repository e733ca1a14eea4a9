package dev.ccpo.generator;

import ai.djl.Device;
import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.Roles;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.DeadLetterPublisher;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.serde.SchemaRegistryException;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.weights.WeightsPublisher;
import dev.ccpo.worker.RolePolicies;
import dev.ccpo.worker.TrajectoryValidation;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real broker and registry, the real tiny CausalLM (DJL PyTorch, CPU) saved to a temp folder and opened
 * the way GeneratorApp opens it. Tasks come from the tasks topic; weights from the weights topic.
 */
class GeneratorIT {
    private static final int G = 3;
    private static final String MODEL_ID = "tiny-it";

    private static Task task(String id, String question) {
        return Task.newBuilder().setTaskId(id).setDataset("it").setQuestion(question).setReferenceAnswer("4")
                .setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of()).build();
    }

    @Test
    void publishesConsistentGroupsSwapsWeightsBetweenGroupsRefusesBadShaAndDeadLettersBadTasks() throws Exception {
        Path modelDir = TinyModels.checkpoint(1);
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            Config cfg = cluster.config(GeneratorApp.spec(), "--group.size=" + G, "--max.new.tokens=6", "--worker.id=gen-it");
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            Map<String, Object> kafka = cfg.kafkaClientProperties();
            String tasksTopic = cfg.string(CommonKeys.TOPIC_TASKS);
            String trajTopic = cfg.string(CommonKeys.TOPIC_TRAJECTORIES);
            String weightsTopic = cfg.string(CommonKeys.TOPIC_WEIGHTS);
            TeamSpec team = TeamSpec.thinkReason();

            Map<String, ChatModel> initial = new LinkedHashMap<>();
            for (String role : team.policyKeys()) initial.put(role, CausalLM.open(modelDir, Device.cpu()));
            RolePolicies<ChatModel> policies = new RolePolicies<>(initial, 0, (role, bytes) -> CausalLM.open(modelDir, Device.cpu(), bytes), 1);
            WeightsFollower follower = new WeightsFollower(kafka, weightsTopic, serdes.weights(), MODEL_ID, "gen-it").start();
            GeneratorLoop.VersionSource versions = new GeneratorLoop.VersionSource() {
                public java.util.Optional<dev.ccpo.weights.WeightsBlob> newerThan(String role, long v) { return follower.newerThan(role, v); }
                public long latestVersion() { return follower.latestVersion(); }
                public long awaitVersion(long atLeast, Duration t) throws InterruptedException { return follower.awaitVersion(atLeast, t); }
                public long refused() { return follower.refused(); }
            };
            ByteArrayOutputStream progressOut = new ByteArrayOutputStream();
            byte[] junk = "not avro at all".getBytes(StandardCharsets.UTF_8);

            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(GeneratorApp.producerProps(cfg, kafka, "gen-it"),
                    new ByteArraySerializer(), new ByteArraySerializer());
                 KafkaProducer<byte[], byte[]> feeder = new KafkaProducer<>(kafka, new ByteArraySerializer(), new ByteArraySerializer());
                 KafkaConsumer<byte[], byte[]> trajReader = TinyModels.reader(kafka);
                 KafkaConsumer<byte[], byte[]> dlqReader = TinyModels.reader(kafka)) {
                DeadLetterPublisher dlq = new DeadLetterPublisher(producer, serdes.deadLetter(), cfg.string(CommonKeys.TOPIC_DLQ), "generator-it");
                TopicTaskSource source = new TopicTaskSource(kafka, tasksTopic, serdes.task(), dlq, "gen-it");
                GroupGenerator gen = new GroupGenerator(new TeamRunner(team, new PromptLibrary(), verifier), "gen-it", G,
                        new SamplingParams(1f, 1f, 6, List.of(), 0), 0);
                GeneratorLoop loop = new GeneratorLoop(source, gen, policies, versions, producer, serdes.trajectory(), trajTopic,
                        1000, 2, new Progress("generator gen-it", "groups", -1, 0, new PrintStream(progressOut, true)));
                Thread runner = new Thread(() -> {
                    try { loop.run(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                }, "generator-it-loop");

                // Phase 1: two good tasks around an invalid task and four records that are not tasks at all (text,
                // random bytes behind the registry's magic byte, a truncated task, a weights record), at policy v0.
                byte[] noise = new byte[2048];
                new Random(7).nextBytes(noise);
                noise[0] = 0; // magic byte: the rest reads as a schema id nobody registered
                byte[] task1 = serdes.task().serialize(tasksTopic, task("t1", "What is 2+2?"));
                PolicyWeights weightsRecord = TinyModels.badShaRecord(MODEL_ID, "thinker", 9, new byte[8]);
                SchemaRegistryException refused = assertThrows(SchemaRegistryException.class,
                        () -> serdes.weights().serialize(tasksTopic, weightsRecord), "the registry refuses another type for ccpo.tasks");
                assertTrue(refused.getMessage().contains("incompatible"), refused.getMessage());
                byte[] notATask = serdes.weights().serialize(weightsTopic, weightsRecord); // a producer that skips the registry check
                send(feeder, tasksTopic, "t1", task1);
                send(feeder, tasksTopic, "junk", junk);
                send(feeder, tasksTopic, "noise", noise);
                send(feeder, tasksTopic, "truncated", Arrays.copyOf(task1, task1.length / 2));
                send(feeder, tasksTopic, "weights", notATask);
                send(feeder, tasksTopic, "blank", serdes.task().serialize(tasksTopic, task("blank", " ")));
                send(feeder, tasksTopic, "t2", serdes.task().serialize(tasksTopic, task("t2", "What is 3+1?")));
                runner.start();
                trajReader.subscribe(List.of(trajTopic));
                dlqReader.subscribe(List.of(cfg.string(CommonKeys.TOPIC_DLQ)));
                List<Trajectory> got = new ArrayList<>();
                List<DeadLetter> dead = new ArrayList<>();
                try {
                    pollUntil(trajReader, dlqReader, serdes, got, dead, () -> got.size() >= 2 * G && dead.size() >= 5, 60_000);
                    assertEquals(2 * G, got.size(), "G trajectories for each of the 2 good tasks");
                    assertEquals(5, dead.size(), "the four undecodable records and the invalid task are dead-lettered: " + dead);
                    assertEquals(5, source.deadLettered());

                    // Phase 2: records no follower can read (random bytes, a truncated chunk, a task), v1 for every
                    // role (as the learner publishes it), then a v2 with a wrong sha256. Every worker reads the
                    // whole weights topic, so unreadable records are counted and logged by each, not dead-lettered.
                    byte[] randomBytes = new byte[4096];
                    new Random(8).nextBytes(randomBytes);
                    byte[] chunk = serdes.weights().serialize(weightsTopic, TinyModels.badShaRecord(MODEL_ID, Roles.THINKER, 5, TinyModels.weights(4)));
                    send(feeder, weightsTopic, "random", randomBytes);
                    send(feeder, weightsTopic, MODEL_ID + "/" + Roles.THINKER + "/0", Arrays.copyOf(chunk, chunk.length / 2));
                    send(feeder, weightsTopic, "task", task1);
                    WeightsPublisher publisher = new WeightsPublisher(feeder, serdes.weights(), weightsTopic, 256 * 1024, Long.MAX_VALUE, null);
                    byte[] v1 = TinyModels.weights(2);
                    for (String role : team.policyKeys()) publisher.publish(MODEL_ID, role, 1, v1);
                    TinyModels.publishCorrupt(feeder, serdes.weights(), weightsTopic, MODEL_ID, Roles.REASONER, 2, TinyModels.weights(3));
                    waitFor(() -> follower.refused() >= 4 && team.policyKeys().stream().allMatch(r -> follower.newerThan(r, 0).isPresent()), 60_000);
                    assertEquals(4, follower.refused(), "three unreadable records and the v2 blob with a bad sha256 are refused and counted");
                    assertTrue(follower.newerThan(Roles.REASONER, 1).isEmpty(), "the refused v2 is never offered");
                    assertTrue(follower.newerThan(Roles.THINKER, 1).isEmpty(), "nothing of the truncated v5 is offered");

                    send(feeder, tasksTopic, "t3", serdes.task().serialize(tasksTopic, task("t3", "What is 1+3?")));
                    send(feeder, tasksTopic, "t4", serdes.task().serialize(tasksTopic, task("t4", "What is 0+4?")));
                    pollUntil(trajReader, dlqReader, serdes, got, dead, () -> got.size() >= 4 * G, 60_000);
                } finally {
                    loop.stop();
                    runner.join(60_000);
                    source.close();
                    follower.close();
                    policies.close();
                }
                assertEquals(4 * G, got.size(), "G trajectories per task, no more");
                checkGroups(got, serdes);
                Map<String, Long> versionByTask = new TreeMap<>();
                for (Trajectory t : got) versionByTask.put(t.getTask().getTaskId(), t.getPolicyVersion());
                assertEquals(Map.of("t1", 0L, "t2", 0L, "t3", 1L, "t4", 1L), versionByTask,
                        "groups before the weights used v0, later groups v1 (and never the refused v2)");
                assertEquals(2L, policies.swaps(), "one swap per role");

                List<DeadLetter> undecodable = dead.stream().filter(d -> d.getReason().startsWith("undecodable")).toList();
                assertEquals(4, undecodable.size(), dead.toString());
                assertEquals(Stream.of(junk, noise, Arrays.copyOf(task1, task1.length / 2), notATask).map(Arrays::toString).sorted().toList(),
                        undecodable.stream().map(d -> Arrays.toString(bytes(d.getValue()))).sorted().toList(), "original bytes kept");
                for (DeadLetter d : undecodable) assertEquals(tasksTopic, d.getSourceTopic());
                assertTrue(dead.stream().anyMatch(d -> d.getReason().contains("question is blank (taskId blank)")), dead.toString());
                assertTrue(progressOut.toString().contains("weight sets refused"), progressOut.toString());
            }
        }
    }

    /** Every field the learner and the counterfactual workers rely on. */
    private static void checkGroups(List<Trajectory> got, RecordSerdes serdes) {
        Map<String, List<Trajectory>> groups = new LinkedHashMap<>();
        for (Trajectory t : got) groups.computeIfAbsent(t.getGroupId(), k -> new ArrayList<>()).add(t);
        assertEquals(4, groups.size(), "one group per good task");
        Set<String> trajectoryIds = new HashSet<>();
        for (List<Trajectory> g : groups.values()) {
            Set<Integer> indices = new TreeSet<>();
            Set<Long> versions = new HashSet<>();
            Set<String> taskIds = new HashSet<>();
            for (Trajectory t : g) {
                TrajectoryValidation.validate(t, CharTokenizer.VOCAB); // the consumers' own validation passes
                indices.add(t.getGroupIndex());
                versions.add(t.getPolicyVersion());
                taskIds.add(t.getTask().getTaskId());
                assertTrue(trajectoryIds.add(t.getTrajectoryId()), "unique trajectoryId " + t.getTrajectoryId());
                assertEquals(G, t.getGroupSize());
                assertEquals("gen-it", t.getWorkerId());
                assertEquals(GroupGenerator.groupId("gen-it", t.getTask().getTaskId(), 0), t.getGroupId());
                assertTrue(Double.isFinite(t.getReward()) && t.getReward() >= 0 && t.getReward() <= 1, "reward " + t.getReward());
                assertEquals(2, t.getTurns().size(), "thinker then reasoner");
                assertEquals(List.of(Roles.THINKER, Roles.REASONER), t.getTurns().stream().map(Turn::getRole).toList());
                for (Turn turn : t.getTurns()) {
                    assertTrue(turn.getOutputTokenIds().size() <= 6, "at most max.new.tokens generated");
                    assertEquals(turn.getOutputTokenIds().size(), turn.getBehaviourLogProbs().size(), "one log-prob per generated token");
                    for (int id : turn.getPromptTokenIds()) assertTrue(id >= 0 && id < CharTokenizer.VOCAB, "prompt token " + id);
                    for (int id : turn.getOutputTokenIds()) assertTrue(id >= 0 && id < CharTokenizer.VOCAB, "output token " + id);
                    for (float lp : turn.getBehaviourLogProbs()) assertTrue(Float.isFinite(lp) && lp <= 0f, "log-prob " + lp);
                }
            }
            assertEquals(Set.of(0, 1, 2), indices, "groupIndex 0..G-1 once each");
            assertEquals(1, versions.size(), "one policy version per group (swaps only between groups)");
            assertEquals(1, taskIds.size(), "one task per group");
        }
    }

    private static void pollUntil(KafkaConsumer<byte[], byte[]> trajReader, KafkaConsumer<byte[], byte[]> dlqReader, RecordSerdes serdes,
                                  List<Trajectory> got, List<DeadLetter> dead, BooleanSupplier done, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : trajReader.poll(Duration.ofMillis(200))) {
                Trajectory t = serdes.trajectory().deserialize(r.topic(), r.value());
                assertEquals(t.getGroupId(), new String(r.key(), StandardCharsets.UTF_8), "keyed by groupId");
                got.add(t);
            }
            for (ConsumerRecord<byte[], byte[]> r : dlqReader.poll(Duration.ofMillis(50)))
                dead.add(serdes.deadLetter().deserialize(r.topic(), r.value()));
        }
    }

    private static void waitFor(BooleanSupplier cond, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!cond.getAsBoolean() && System.currentTimeMillis() < deadline) Thread.sleep(100);
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, String key, byte[] value) throws Exception {
        p.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
