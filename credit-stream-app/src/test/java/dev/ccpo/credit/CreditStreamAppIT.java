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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
    static final int GROUPS = 20, G = 4;
    static LocalCluster cluster;
    static RecordSerdes serdes;

    @BeforeAll
    static void up() throws Exception {
        cluster = LocalCluster.start();
        serdes = new RecordSerdes(new dev.ccpo.serde.HttpSchemaRegistryClient(cluster.registryUrl(), ""));
        produceSyntheticGroups(cluster, serdes, "ccpo.trajectories", "ccpo.counterfactuals", GROUPS, G, 0);
    }

    @AfterAll
    static void down() { if (cluster != null) cluster.close(); }

    /** THINK_REASON groups with deterministic pseudo-random 0/1 rewards, keyed by groupId. */
    static void produceSyntheticGroups(LocalCluster c, RecordSerdes serdes, String trajTopic, String cfTopic,
                                       int groups, int g, long seed) throws Exception {
        Map<String, Object> p = new HashMap<>(c.kafkaProps());
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            java.util.Random rnd = new java.util.Random(seed);
            for (int i = 0; i < groups; i++) {
                String gid = "it-" + seed + "-" + i;
                byte[] key = gid.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (int k = 0; k < g; k++) {
                    long ts = 1_000_000L + i * 100L + k;
                    Trajectory t = Fixtures.thinkReason(gid, k, g, rnd.nextInt(2), ts);
                    prod.send(new ProducerRecord<>(trajTopic, null, ts, key, serdes.trajectory().serialize(trajTopic, t)));
                    prod.send(new ProducerRecord<>(cfTopic, null, ts, key,
                            serdes.counterfactual().serialize(cfTopic, Fixtures.solo(gid, k, g, rnd.nextInt(2), ts))));
                }
            }
            prod.flush();
        }
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected, Duration timeout) {
        Map<String, Object> p = new HashMap<>(cluster.kafkaProps());
        p.put("group.id", "it-reader-" + topic + "-" + System.nanoTime());
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
            assertEquals(GROUPS * G * 2, recs.size());
            var first = serdes.advantage().deserialize("ccpo.advantages", recs.get(0).value());
            assertEquals(8, first.getGroupRecordCount());
            assertTrue(Double.isFinite(first.getAdvantage()));
            HttpClient http = HttpClient.newHttpClient();
            String stats = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(stats.contains("thinker.delta"), stats);
            String recent = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/groups/recent?limit=3")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(recent.contains("\"groupId\""), recent);
            String lag = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/lag")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(lag.contains("\"total\""), lag);
        }
    }

    @Test
    void replayTwiceWithTwoAppIds_isByteIdentical() {
        List<List<byte[]>> runs = new ArrayList<>();
        for (int r = 1; r <= 2; r++) {
            String topic = "ccpo.advantages.replay-" + r;
            cluster.createTopic(topic, 4, Map.of());
            try (CreditStreamApp a = app("--application.id=ccpo-credit-replay-" + r, "--topic.advantages=" + topic,
                    "--credit.mode=shared", "--http.port=0")) {
                List<byte[]> vals = new ArrayList<>();
                for (var rec : readAll(topic, GROUPS * G * 2, Duration.ofSeconds(90))) vals.add(rec.value());
                runs.add(vals);
            }
        }
        assertEquals(GROUPS * G * 2, runs.get(0).size());
        assertEquals(runs.get(0).size(), runs.get(1).size());
        for (int i = 0; i < runs.get(0).size(); i++)
            assertTrue(Arrays.equals(runs.get(0).get(i), runs.get(1).get(i)), "record " + i + " differs between replays");
    }
}
