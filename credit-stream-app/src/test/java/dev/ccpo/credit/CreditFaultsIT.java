package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.infra.ServiceJar;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults in the middle of a stream, each followed by a comparison of the advantages published (read_committed)
 * with a clean run of another application id over the same input: every (trajectory, role) once, with the same
 * advantage and the same history. The faults: kill -9 of the credit app (its shaded jar as a child process) and a
 * restart on the same state folder; a broker restart while the app runs.
 */
class CreditFaultsIT {
    static final int GROUPS_PER_HALF = 40, G = 4;
    static final long BASE = (System.currentTimeMillis() / 60_000L) * 60_000L - 600_000L;
    static final String[] STATS_ARGS = {"--credit.mode=ccpo", "--stats.window.ms=1000", "--stats.window.grace.ms=0",
            "--history.max.wait.ms=600000", "--http.port=0"};

    @Test
    void killedMidStreamAndRestartedPublishesWhatACleanRunPublishes() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            RecordSerdes serdes = firstHalf(cluster, "killed");
            int total = 2 * GROUPS_PER_HALF * G * 2;

            Path state = Files.createTempDirectory("credit-state-killed-");
            List<String> killedArgs = args(cluster, "ccpo-credit-killed", "adv-killed", "stats-killed", state);
            Process first = start(killedArgs, "first");
            int before = awaitSome(cluster, first, "adv-killed");
            first.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no close, no commit, no flush
            System.out.printf("CreditFaultsIT: killed once advantages were visible (%d read)%n", before);

            produce(cluster, serdes, GROUPS_PER_HALF, GROUPS_PER_HALF, true); // the rest arrives while it is down
            Process second = start(killedArgs, "second");
            List<ConsumerRecord<byte[], byte[]>> killed;
            try {
                killed = CreditStreamAppIT.readAll(cluster.kafkaProps(), "it-killed", "adv-killed", total, Duration.ofSeconds(120));
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
            List<ConsumerRecord<byte[], byte[]>> reference = cleanRun(cluster, total);
            Map<String, String> killedByKey = byTrajectoryAndRole(serdes, "adv-killed", killed);
            Map<String, String> cleanByKey = byTrajectoryAndRole(serdes, "adv-clean", reference);
            assertEquals(total, killed.size(), "killed-and-restarted run: every advantage exactly once (duplicates would make it more)");
            assertEquals(cleanByKey, killedByKey, "the same advantages and histories as the clean run");
        }
    }

    @Test
    void brokerRestartedUnderLoadLosesAndDuplicatesNothing() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            RecordSerdes serdes = firstHalf(cluster, "restart");
            int total = 2 * GROUPS_PER_HALF * G * 2;
            Process app = start(args(cluster, "ccpo-credit-restart", "adv-restart", "stats-restart",
                    Files.createTempDirectory("credit-state-restart-")), "broker-restart");
            List<ConsumerRecord<byte[], byte[]>> restarted;
            try {
                awaitSome(cluster, app, "adv-restart");
                cluster.stopBroker();
                Thread.sleep(3000); // the app's clients see the broker gone
                cluster.startBroker();
                System.out.println("CreditFaultsIT: broker restarted while the credit app ran");
                produce(cluster, serdes, GROUPS_PER_HALF, GROUPS_PER_HALF, true);
                restarted = CreditStreamAppIT.readAll(cluster.kafkaProps(), "it-restart", "adv-restart", total, Duration.ofSeconds(180));
                assertTrue(app.isAlive(), "the credit app survived the broker restart; see target/credit-broker-restart.log");
            } finally {
                app.destroy();
                app.waitFor(30, TimeUnit.SECONDS);
            }
            List<ConsumerRecord<byte[], byte[]>> reference = cleanRun(cluster, total);
            assertEquals(total, restarted.size(), "every advantage exactly once across the broker restart");
            assertEquals(byTrajectoryAndRole(serdes, "adv-clean", reference), byTrajectoryAndRole(serdes, "adv-restart", restarted));
        }
    }

    /** The output topics of run {@code name} and of the clean run, and the first half of the input. */
    private static RecordSerdes firstHalf(LocalCluster cluster, String name) throws Exception {
        RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
        for (String t : List.of("adv-" + name, "adv-clean", "stats-" + name, "stats-clean")) cluster.createTopic(t, 4, Map.of());
        produce(cluster, serdes, 0, GROUPS_PER_HALF, false);
        return serdes;
    }

    /** The advantages of a fresh application id over the whole input. */
    private static List<ConsumerRecord<byte[], byte[]>> cleanRun(LocalCluster cluster, int total) throws Exception {
        Process clean = start(args(cluster, "ccpo-credit-clean", "adv-clean", "stats-clean",
                Files.createTempDirectory("credit-state-clean-")), "clean");
        try {
            List<ConsumerRecord<byte[], byte[]>> reference = CreditStreamAppIT.readAll(cluster.kafkaProps(), "it-clean", "adv-clean", total, Duration.ofSeconds(120));
            assertEquals(total, reference.size(), "clean run");
            return reference;
        } finally {
            clean.destroy();
            clean.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** trajectory/role -> the parts that must not depend on the crash; fails on a duplicate. */
    private static Map<String, String> byTrajectoryAndRole(RecordSerdes serdes, String topic, List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, String> out = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            AgentAdvantage a = serdes.advantage().deserialize(topic, r.value());
            String key = a.getTrajectoryId() + "/" + a.getRole();
            String value = String.format(Locale.ROOT, "adv=%.12f hist=%d gmean=%.12f gstd=%.12f", a.getAdvantage(),
                    a.getHistoryCount(), a.getGlobalMean(), a.getGlobalStd());
            String previous = out.put(key, value);
            assertTrue(previous == null, "duplicate advantage for " + key + " on " + topic);
        }
        return out;
    }

    private static List<String> args(LocalCluster cluster, String appId, String advantages, String stats, Path state) {
        List<String> a = new ArrayList<>(List.of("--bootstrap.servers=" + cluster.bootstrapServers(),
                "--schema.registry.url=" + cluster.registryUrl(), "--application.id=" + appId,
                "--topic.advantages=" + advantages, "--topic.rollout-stats=" + stats, "--kafka.state.dir=" + state));
        a.addAll(List.of(STATS_ARGS));
        return a;
    }

    /** The app's shaded jar (built by the package phase, before failsafe runs) as a child JVM. */
    private static Process start(List<String> args, String name) throws Exception {
        return ServiceJar.start("credit-stream-app", List.of("-Xmx384m"), args, Path.of("target", "credit-" + name + ".log"));
    }

    /** Waits until some (not necessarily all) advantages are committed; returns how many. */
    private static int awaitSome(LocalCluster cluster, Process app, String topic) {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            assertTrue(app.isAlive(), "the credit app died on its own; see target/credit-*.log");
            int n = CreditStreamAppIT.readAll(cluster.kafkaProps(), "it-probe-" + System.nanoTime(), topic, 1, Duration.ofSeconds(2)).size();
            if (n > 0) return n;
        }
        throw new AssertionError("no advantages on " + topic + " within 120 s; see target/credit-*.log");
    }

    /**
     * Groups {@code from}..{@code from+count-1}, 100 ms of event time apart, keyed by groupId; with {@code end}, a
     * heartbeat per partition far ahead, so every window closes and every group leaves by stream time.
     */
    private static void produce(LocalCluster c, RecordSerdes serdes, int from, int count, boolean end) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(c.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
            Random rnd = new Random(from);
            for (int i = from; i < from + count; i++) {
                String gid = "kill-" + i;
                byte[] key = gid.getBytes(StandardCharsets.UTF_8);
                for (int k = 0; k < G; k++) {
                    long ts = BASE + i * 100L + k;
                    acks.add(prod.send(new ProducerRecord<>("ccpo.trajectories", null, ts, key,
                            serdes.trajectory().serialize("ccpo.trajectories", Fixtures.thinkReason(gid, k, G, rnd.nextInt(2), ts)))));
                    acks.add(prod.send(new ProducerRecord<>("ccpo.counterfactuals", null, ts, key,
                            serdes.counterfactual().serialize("ccpo.counterfactuals", Fixtures.solo(gid, k, G, rnd.nextInt(2), ts)))));
                }
            }
            // Every record acknowledged before the heartbeats, which push stream time past every group's grace:
            // a send that failed or was retried after a broker restart must fail the test here, not expire a group.
            for (Future<RecordMetadata> ack : acks) ack.get(120, TimeUnit.SECONDS);
            if (end) {
                for (int p = 0; p < prod.partitionsFor("ccpo.trajectories").size(); p++)
                    prod.send(new ProducerRecord<byte[], byte[]>("ccpo.trajectories", p, BASE + (from + count) * 100L + 300_000L,
                            "heartbeat".getBytes(StandardCharsets.UTF_8), null)).get(120, TimeUnit.SECONDS);
            }
        }
    }
}
