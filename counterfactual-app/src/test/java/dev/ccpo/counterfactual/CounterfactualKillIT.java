package dev.ccpo.counterfactual;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.config.Roles;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.infra.ServiceJar;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a counterfactual worker process (the shaded jar, real tiny model) in the middle of the stream and a
 * restart: read_committed consumers see exactly one outcome per trajectory, and the same outcomes as a clean worker
 * that reads a copy of the input (re-runs are seeded by trajectory id, so they are reproducible).
 */
class CounterfactualKillIT {
    static final int GROUPS = 24, G = 2, MAX_NEW_TOKENS = 24;

    @Test
    void killedMidStreamAndRestartedPublishesEveryOutcomeOnceAndAsACleanRun() throws Exception {
        Path modelDir = RealTrajectories.checkpoint(3);
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
            for (String t : List.of("traj-copy", "cf-killed", "cf-clean")) cluster.createTopic(t, 4, Map.of());
            List<Trajectory> sent = new ArrayList<>();
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            try (RolePolicies<ChatModel> policies = RealTrajectories.policies(modelDir, 1)) {
                ChatModel model = policies.current(Roles.REASONER).model();
                for (int i = 0; i < GROUPS; i++)
                    sent.addAll(RealTrajectories.group(runner, model, "kill-" + i, RealTrajectories.task("t" + i), G, MAX_NEW_TOKENS, 0, 100 + i));
            }
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (Trajectory t : sent) {
                    byte[] key = t.getGroupId().getBytes(StandardCharsets.UTF_8);
                    p.send(new ProducerRecord<>("ccpo.trajectories", key, serdes.trajectory().serialize("ccpo.trajectories", t)));
                    p.send(new ProducerRecord<>("traj-copy", key, serdes.trajectory().serialize("traj-copy", t)));
                }
            }

            List<String> killedArgs = args(cluster, modelDir, "cf-kill", "ccpo.trajectories", "cf-killed");
            Process first = start(killedArgs, "first");
            int seen = awaitSome(cluster, first, "cf-killed");
            first.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL mid-stream: an open transaction is left behind
            System.out.printf("CounterfactualKillIT: killed after %d of %d outcomes were visible%n", seen, sent.size());
            assertTrue(seen < sent.size(), "the kill came too late to be mid-stream: " + seen);

            Map<String, String> killed = runToEnd(cluster, serdes, start(killedArgs, "second"), "cf-killed", sent.size());
            Map<String, String> clean = runToEnd(cluster, serdes,
                    start(args(cluster, modelDir, "cf-clean", "traj-copy", "cf-clean"), "clean"), "cf-clean", sent.size());
            assertEquals(sent.size(), clean.size(), "clean run");
            assertEquals(sent.size(), killed.size(), "killed-and-restarted run: one outcome per trajectory");
            assertEquals(clean, killed, "the same outcomes as the clean run");
        }
    }

    private static List<String> args(LocalCluster cluster, Path modelDir, String workerId, String in, String out) {
        return List.of("--bootstrap.servers=" + cluster.bootstrapServers(), "--schema.registry.url=" + cluster.registryUrl(),
                "--worker.id=" + workerId, "--model.dir=" + modelDir, "--model.id=tiny-kill-it", "--device=cpu",
                "--topic.trajectories=" + in, "--topic.counterfactuals=" + out, "--max.poll.records=2",
                "--max.new.tokens=" + MAX_NEW_TOKENS, "--seed=5", "--weights.follow=false");
    }

    /** The worker's shaded jar (built by the package phase, before failsafe runs) as a child JVM, one PyTorch thread. */
    private static Process start(List<String> args, String name) throws Exception {
        return ServiceJar.start("counterfactual-app", List.of("-Xmx512m", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1"), args, Path.of("target", "cf-kill-" + name + ".log"));
    }

    /** Polls (read_committed) until at least one outcome is visible; returns how many were. */
    private static int awaitSome(LocalCluster cluster, Process worker, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = reader(cluster, topic)) {
            int n = 0;
            long deadline = System.currentTimeMillis() + 180_000;
            while (n == 0 && System.currentTimeMillis() < deadline) {
                assertTrue(worker.isAlive(), "the worker died on its own; see target/cf-kill-first.log");
                n += c.poll(Duration.ofMillis(100)).count();
            }
            assertTrue(n > 0, "no outcome within 180 s; see target/cf-kill-first.log");
            return n;
        }
    }

    /** Reads until {@code expected} outcomes (and 3 s more, to see duplicates), stops the worker; trajectory -> outcome. */
    private static Map<String, String> runToEnd(LocalCluster cluster, RecordSerdes serdes, Process worker, String topic, int expected) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = reader(cluster, topic)) {
            long deadline = System.currentTimeMillis() + 240_000;
            long quietUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    CounterfactualOutcome o = serdes.counterfactual().deserialize(topic, r.value());
                    String previous = out.put(o.getTrajectoryId(), o.getMaskedRole() + " " + o.getRewards() + " " + o.getAnswers());
                    assertTrue(previous == null, "a second outcome for " + o.getTrajectoryId() + " on " + topic);
                }
                if (out.size() >= expected && quietUntil == Long.MAX_VALUE) quietUntil = System.currentTimeMillis() + 3000;
            }
        } finally {
            worker.destroy();
            worker.waitFor(30, TimeUnit.SECONDS);
        }
        return out;
    }

    private static KafkaConsumer<byte[], byte[]> reader(LocalCluster cluster, String topic) {
        Map<String, Object> p = new HashMap<>(cluster.kafkaProps());
        p.put("group.id", "it-reader-" + topic + "-" + System.nanoTime());
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }
}
