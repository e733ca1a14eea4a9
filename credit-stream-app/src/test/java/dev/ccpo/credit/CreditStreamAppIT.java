package dev.ccpo.credit;

import dev.ccpo.avro.Trajectory;
import dev.ccpo.config.Config;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** End to end on a real broker + registry: the app, its HTTP endpoints, and a byte-identical replay. */
class CreditStreamAppIT {
    /** 60 groups, 100 ms apart: 6 s of event time, so 1 s stats windows close six times in the replay test. */
    static final int GROUPS = 60, G = 4;
    /**
     * Event time of the synthetic data: a recent minute boundary. Timestamps near 1970 made the broker roll a
     * segment on every append (segment.ms) and delete them by retention, which slowed it for minutes.
     */
    static final long BASE = (System.currentTimeMillis() / 60_000L) * 60_000L - 600_000L;
    static LocalCluster cluster;
    static RecordSerdes serdes;

    /**
     * A fresh broker per test, so that one test's load on the broker does not slow the next test's start-up.
     */
    @BeforeEach
    void up() throws Exception {
        cluster = LocalCluster.start();
        serdes = new RecordSerdes(new dev.ccpo.serde.HttpSchemaRegistryClient(cluster.registryUrl(), ""));
        produceSyntheticGroups(cluster, serdes, "ccpo.trajectories", "ccpo.counterfactuals", GROUPS, G, 0);
    }

    @AfterEach
    void down() { if (cluster != null) cluster.close(); }

    /** THINK_REASON groups with deterministic pseudo-random 0/1 rewards, keyed by groupId. */
    static void produceSyntheticGroups(LocalCluster c, RecordSerdes serdes, String trajTopic, String cfTopic,
                                       int groups, int g, long seed) throws Exception {
        produceSyntheticGroups(c.kafkaProps(), serdes, trajTopic, cfTopic, groups, g, seed);
    }

    /** As above, as the principal of {@code clientProps}. */
    static void produceSyntheticGroups(Map<String, Object> clientProps, RecordSerdes serdes, String trajTopic, String cfTopic,
                                       int groups, int g, long seed) throws Exception {
        Map<String, Object> p = new HashMap<>(clientProps);
        // Event times end before now: the broker refuses timestamps over an hour ahead
        // (log.message.timestamp.after.max.ms), which a long run from BASE would reach (about 39,000 groups).
        long base = Math.min(BASE, (System.currentTimeMillis() - groups * 100L - 300_000L) / 60_000L * 60_000L);
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        org.apache.kafka.clients.producer.Callback check = (md, e) -> { if (e != null) failed.compareAndSet(null, e); };
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            java.util.Random rnd = new java.util.Random(seed);
            for (int i = 0; i < groups; i++) {
                String gid = "it-" + seed + "-" + i;
                byte[] key = gid.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (int k = 0; k < g; k++) {
                    long ts = base + i * 100L + k;
                    Trajectory t = Fixtures.thinkReason(gid, k, g, rnd.nextInt(2), ts);
                    prod.send(new ProducerRecord<>(trajTopic, null, ts, key, serdes.trajectory().serialize(trajTopic, t)), check);
                    prod.send(new ProducerRecord<>(cfTopic, null, ts, key,
                            serdes.counterfactual().serialize(cfTopic, Fixtures.solo(gid, k, g, rnd.nextInt(2), ts))), check);
                }
            }
            // A heartbeat (null value) on every partition far ahead: every window closes and every group is
            // released by stream time, so the result does not depend on the wall-clock fallbacks.
            int parts = prod.partitionsFor(trajTopic).size();
            for (int p2 = 0; p2 < parts; p2++)
                prod.send(new ProducerRecord<byte[], byte[]>(trajTopic, p2, (Long) (base + groups * 100L + 300_000L), "heartbeat".getBytes(), (byte[]) null), check);
            prod.flush();
        }
        if (failed.get() != null) throw new IllegalStateException("the synthetic input was not all written", failed.get());
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected, Duration timeout) {
        return readAll(cluster.kafkaProps(), "it-reader-" + topic + "-" + System.nanoTime(), topic, expected, timeout);
    }

    /** As above, as the principal of {@code clientProps}, in consumer group {@code group}. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(Map<String, Object> clientProps, String group, String topic, int expected, Duration timeout) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put("group.id", group);
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            while (out.size() < expected && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        out.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition()) : Long.compare(a.offset(), b.offset()));
        return out;
    }

    static CreditStreamApp app(String... args) {
        // A fresh state dir per app: stale local state from an earlier run (another broker) must not leak in.
        String[] all = Arrays.copyOf(args, args.length + 1);
        try {
            all[args.length] = "--kafka.state.dir=" + java.nio.file.Files.createTempDirectory("credit-state-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Config cfg = cluster.config(CreditSettings.spec(), all);
        CreditStreamApp a = new CreditStreamApp(cfg);
        a.start();
        return a;
    }

    @Test
    void endToEnd_advantagesAndHttpStats() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) { port = s.getLocalPort(); }
        try (CreditStreamApp a = app("--application.id=ccpo-credit-it", "--http.port=" + port)) {
            List<ConsumerRecord<byte[], byte[]>> recs = readAll("ccpo.advantages", GROUPS * G * 2, Duration.ofSeconds(90));
            assertEquals(GROUPS * G * 2, recs.size(), a.counters().snapshot().toString());
            var first = serdes.advantage().deserialize("ccpo.advantages", recs.get(0).value());
            assertEquals(8, first.getGroupRecordCount());
            assertTrue(Double.isFinite(first.getAdvantage()));
            HttpClient http = HttpClient.newHttpClient();
            String stats = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(stats.contains("\"thinker\"") && stats.contains("closedThroughMs"), stats);
            String recent = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/groups/recent?limit=3")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(recent.contains("\"groupId\""), recent);
            String lag = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/lag")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(lag.contains("\"total\""), lag);
        }
    }

    @Test
    void replayTwiceWithTwoAppIds_ccpoWithClosedWindows_isByteIdentical() {
        List<List<byte[]>> runs = new ArrayList<>();
        List<Long> published = new ArrayList<>();
        for (int r = 1; r <= 2; r++) {
            String topic = "ccpo.advantages.replay-" + r;
            cluster.createTopic(topic, 4, Map.of());
            // ccpo mode: the advantages depend on the windowed global history, so this checks that the
            // windows, their close and the release of groups are decided by the data, not by timing.
            try (CreditStreamApp a = app("--application.id=ccpo-credit-replay-" + r, "--topic.advantages=" + topic,
                    "--credit.mode=ccpo", "--stats.window.ms=1000", "--stats.window.grace.ms=0",
                    "--history.max.wait.ms=60000", "--http.port=0")) {
                List<byte[]> vals = new ArrayList<>();
                List<ConsumerRecord<byte[], byte[]>> recs = readAll(topic, GROUPS * G * 2, Duration.ofSeconds(90));
                assertEquals(GROUPS * G * 2, recs.size(), "run " + r + ": " + a.counters().snapshot());
                for (var rec : recs) vals.add(rec.value());
                runs.add(vals);
                assertEquals(0, a.counters().get("groups.history-timeout"), "no wall-clock fallback: " + a.counters().snapshot());
                assertEquals(0, a.counters().get("stats.late"), a.counters().snapshot().toString());
                // Normalization used closed windows: the last groups saw a history of many samples.
                long maxHist = recs.stream().mapToLong(x -> serdes.advantage().deserialize(topic, x.value()).getHistoryCount())
                        .max().orElse(0);
                assertTrue(maxHist >= 10 * G, "history count " + maxHist);
                published.add(a.counters().get("stats.published"));
            }
        }
        // Both runs closed and published the same windows: six with data plus heartbeats (counted in each app:
        // both apps write to ccpo.rollout-stats).
        assertTrue(published.get(0) >= 6, "published " + published);
        assertEquals(published.get(0), published.get(1));
        assertEquals(GROUPS * G * 2, runs.get(0).size());
        assertEquals(runs.get(0).size(), runs.get(1).size());
        for (int i = 0; i < runs.get(0).size(); i++)
            assertTrue(Arrays.equals(runs.get(0).get(i), runs.get(1).get(i)), "record " + i + " differs between replays");
    }
}
