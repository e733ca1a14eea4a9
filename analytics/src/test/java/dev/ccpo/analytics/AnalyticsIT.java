package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real broker and registry, records of a short run produced with RecordSerdes (part before the app
 * starts, part while it runs), the page opened in headless Chromium, and the numbers it shows checked
 * against what was produced. Also: the tap over the same topics, and a second app instance (a "replay"
 * from the earliest offsets) that must show the same numbers.
 */
class AnalyticsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void pageShowsWhatIsOnTheTopics() throws Exception {
        long t0 = System.nanoTime();
        PageCheck browser = new PageCheck(Path.of("browser-test"), Path.of("target"), "analytics");
        RunRecords early = new RunRecords(1, 2, 3, 7, Instant.now().minusSeconds(120));
        RunRecords late = new RunRecords(3, 4, 3, 11, Instant.now());
        try (LocalCluster cluster = LocalCluster.start()) {
            phase("cluster up", t0);
            Config cfg = cluster.config(AnalyticsKeys.serveSpec(), "--" + AnalyticsKeys.HTTP_PORT + "=0", "--" + AnalyticsKeys.LAG_INTERVAL_MS + "=500");
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            try (KafkaProducer<String, byte[]> producer = producer(cluster)) {
                produce(producer, serdes, cfg, early);
                // a record no serde can read: it must be counted on the page, not skipped silently
                producer.send(new ProducerRecord<>(cfg.string(CommonKeys.TOPIC_TRAJECTORIES), "bad", "not avro".getBytes(StandardCharsets.UTF_8))).get();
                try (AnalyticsApp app = AnalyticsApp.start(cfg)) {
                    // the page is opened mid-run: first it must show the early records, then, while it stays
                    // open, catch up with the records produced after it was opened
                    Path signal = Path.of("target", "page-first-stage.json").toAbsolutePath();
                    Files.deleteIfExists(signal);
                    int trajectories = early.trajectories.size() + late.trajectories.size();
                    int advantages = early.advantages.size() + late.advantages.size();
                    Map<String, Object> expect = Map.of(
                            "first", Map.of("trajectories", early.trajectories.size(), "advantages", early.advantages.size(), "versions", 2),
                            "final", Map.of("trajectories", trajectories, "advantages", advantages, "versions", 4, "lagGroupsFound", 2),
                            "signalFile", signal.toString());
                    Process node = browser.start(app.url(), expect);
                    JsonNode first = browser.awaitSignal(node, signal);
                    phase("page showed the early records", t0);
                    assertEquals(2, first.get("versions").size(), first.toString());
                    assertEquals(early.trajectories.size(), first.get("team").get("trajectories").asInt());
                    assertEquals(early.accuracy(2), first.get("versions").get(1).get("accuracy").asDouble(), 1e-9);
                    produce(producer, serdes, cfg, late);  // records arriving while the page is open
                    producer.flush();
                    commitServiceOffsets(cluster, cfg);
                    phase("late records produced", t0);
                    JsonNode shown = browser.finish(node);
                    assertTrue(shown.get("ready").asBoolean(), "page not ready: " + shown);
                    assertTrue(shown.get("polls").asInt() > first.get("polls").asInt(), "the same page polled again");
                    assertEquals(0, shown.get("consoleErrors").size(), "JS errors on the page: " + shown.get("consoleErrors"));
                    phase("page checked in Chromium", t0);
                    checkShown(shown, early, late, cfg);
                    checkEndpoints(app);
                    checkReplay(cfg, app);
                    phase("replay checked", t0);
                }
                checkTap(cluster, early, late);
                phase("tap checked", t0);
            }
        }
        assertTrue(Files.size(browser.screenshot()) > 10_000, "screenshot " + browser.screenshot() + " looks empty");
    }

    private static void checkShown(JsonNode s, RunRecords early, RunRecords late, Config cfg) {
        assertEquals(4, s.get("versions").size(), s.get("versions").toString());
        for (JsonNode v : s.get("versions")) {
            long version = v.get("policyVersion").asLong();
            RunRecords src = version <= 2 ? early : late;
            long[] e = src.perVersion.get(version);
            assertEquals(e[0], v.get("trajectories").asLong(), "trajectories of version " + version);
            assertEquals(e[1], v.get("correct").asLong(), "correct of version " + version);
            assertEquals(src.accuracy(version), v.get("accuracy").asDouble(), 1e-9, "accuracy of version " + version);
            assertEquals(src.accuracy(version), v.get("meanReward").asDouble(), 1e-9, "mean reward (0/1 rewards) of version " + version);
        }
        assertEquals(4, s.get("accuracyPoints").size(), "one point per version on the accuracy chart");
        for (String role : new String[] {"thinker", "reasoner"}) {
            int expected = early.advantagesPerRole.get(role) + late.advantagesPerRole.get(role);
            JsonNode h = s.get("histograms").get(role);
            assertEquals(expected, h.get("count").asInt(), "advantages of " + role);
            assertEquals(expected, h.get("barTotal").asInt(), "histogram bars of " + role + " (all advantages lie in [-3, 3))");
        }
        assertTrue(s.get("histograms").get("thinker").get("count").asInt() > s.get("histograms").get("reasoner").get("count").asInt());
        assertEquals(8, s.get("marginal").size(), "2 roles x 4 versions of mean marginal contribution: " + s.get("marginal"));
        assertEquals(8, s.get("marginalPoints").asInt());
        assertEquals(early.trajectories.size() + late.trajectories.size() + 1,
                s.get("throughput").get(cfg.string(CommonKeys.TOPIC_TRAJECTORIES)).asInt(), "trajectory records incl. the bad one");
        assertEquals(early.weights.size() + late.weights.size(), s.get("throughput").get(cfg.string(CommonKeys.TOPIC_WEIGHTS)).asInt());
        assertEquals(early.trajectories.size() + late.trajectories.size(), s.get("latency").get("rollout").asInt(),
                "one rollout latency sample per decoded trajectory: " + s.get("latency"));
        assertEquals(4L, s.get("workers").get("gen-0").asLong(), s.get("workers").toString());
        assertEquals(4L, s.get("workers").get("gen-1").asLong());
        assertEquals(4L, s.get("workers").get("cf-0").asLong());
        assertEquals(5L, s.get("weights").get("thinker").asLong(), "latest published version of the thinker");
        assertEquals(late.advantagesPerRole.get("reasoner").longValue(), s.get("rolloutStats").get("reasoner").asLong());
        Map<String, JsonNode> lag = new HashMap<>();
        s.get("lag").forEach(g -> lag.put(g.get("group").asText(), g));
        assertTrue(lag.containsKey("ccpo-learner") && lag.containsKey("ccpo-credit") && lag.containsKey("ccpo-counterfactual"), lag.toString());
        assertEquals(early.advantages.size() + late.advantages.size(), lag.get("ccpo-learner").get("lag").asLong(), "learner committed nothing yet");
        assertEquals(0, lag.get("ccpo-credit").get("lag").asLong(), "credit committed the end of trajectories");
        assertFalse(lag.get("ccpo-counterfactual").get("found").asBoolean());
    }

    private static void checkEndpoints(AnalyticsApp app) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, java.net.http.HttpResponse<String>> get = path -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.url() + path)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new AssertionError("GET " + path + ": " + e, e);
            }
        };
        var summary = get.apply("api/summary");
        assertEquals(200, summary.statusCode());
        assertTrue(summary.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertEquals(4, JSON.readTree(summary.body()).get("versions").size());
        var page = get.apply("");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("id=\"chart-accuracy\""), "the page is served");
        assertFalse(page.body().replace("http://www.w3.org/2000/svg", "").matches("(?s).*https?://.*"),
                "the page loads nothing from the network (the SVG namespace is its only URL)");
        assertFalse(page.body().matches("(?s).*<script[^>]+src=.*"), "no external scripts: the machine may be offline");
        assertEquals(404, get.apply("nope").statusCode());
    }

    /** A second instance reads from the earliest offsets (what a page opened after a replay sees): same numbers. */
    private static void checkReplay(Config cfg, AnalyticsApp first) throws InterruptedException {
        try (AnalyticsApp second = AnalyticsApp.start(cfg)) {
            long want = first.summary().get("consumer").get("recordsConsumed").asLong();
            long until = System.currentTimeMillis() + 30_000;
            while (second.summary().get("consumer").get("recordsConsumed").asLong() < want && System.currentTimeMillis() < until)
                Thread.sleep(200);
            assertEquals(first.summary().get("versions"), second.summary().get("versions"));
            assertEquals(first.summary().get("roles"), second.summary().get("roles"));
            assertEquals(first.summary().get("workers"), second.summary().get("workers"));
            assertEquals(1, second.summary().get("decodeErrors").get(cfg.string(CommonKeys.TOPIC_TRAJECTORIES)).asInt());
        }
    }

    private static void checkTap(LocalCluster cluster, RunRecords early, RunRecords late) throws Exception {
        Config c = cluster.config(AnalyticsKeys.tapSpec(), "--role=reasoner", "--follow=false");
        TapRenderer r = new TapRenderer(RecordSerdes.fromConfig(c).registry(), AvroJson.BytesMode.AUTO, "", "reasoner");
        Tap tap = new Tap(c, "advantages", r);
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try (KafkaConsumer<byte[], byte[]> consumer = Tap.consumer(c)) {
            long n = tap.run(consumer, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(early.advantagesPerRole.get("reasoner") + late.advantagesPerRole.get("reasoner"), n);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        JsonNode first = JSON.readTree(lines[0]);
        assertEquals("reasoner", first.get("value").get("role").asText());
        assertEquals(first.get("value").get("groupId").asText(), first.get("key").asText());
        // the bad trajectory record is reported on stderr with its position, the others print
        Config all = cluster.config(AnalyticsKeys.tapSpec(), "--follow=false");
        ByteArrayOutputStream out2 = new ByteArrayOutputStream(), err2 = new ByteArrayOutputStream();
        try (KafkaConsumer<byte[], byte[]> consumer = Tap.consumer(all)) {
            long n = new Tap(all, "trajectories", new TapRenderer(RecordSerdes.fromConfig(all).registry(), AvroJson.BytesMode.AUTO, null, null))
                    .run(consumer, new PrintStream(out2, true, StandardCharsets.UTF_8), new PrintStream(err2, true, StandardCharsets.UTF_8));
            assertEquals(early.trajectories.size() + late.trajectories.size(), n);
        }
        assertTrue(err2.toString(StandardCharsets.UTF_8).contains("magic byte 0"), err2.toString(StandardCharsets.UTF_8));
    }

    private static KafkaProducer<String, byte[]> producer(LocalCluster cluster) {
        Map<String, Object> p = new HashMap<>(cluster.kafkaProps());
        p.put("acks", "all");
        p.put("max.request.size", 8 * 1024 * 1024);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private static void produce(KafkaProducer<String, byte[]> p, RecordSerdes s, Config c, RunRecords r) throws Exception {
        String traj = c.string(CommonKeys.TOPIC_TRAJECTORIES), adv = c.string(CommonKeys.TOPIC_ADVANTAGES);
        String cf = c.string(CommonKeys.TOPIC_COUNTERFACTUALS), st = c.string(CommonKeys.TOPIC_ROLLOUT_STATS), w = c.string(CommonKeys.TOPIC_WEIGHTS);
        r.trajectories.forEach(x -> p.send(new ProducerRecord<>(traj, x.getGroupId(), s.trajectory().serialize(traj, x))));
        r.counterfactuals.forEach(x -> p.send(new ProducerRecord<>(cf, x.getGroupId(), s.counterfactual().serialize(cf, x))));
        r.advantages.forEach(x -> p.send(new ProducerRecord<>(adv, x.getGroupId(), s.advantage().serialize(adv, x))));
        r.stats.forEach(x -> p.send(new ProducerRecord<>(st, x.getRole(), s.rolloutStats().serialize(st, x))));
        r.weights.forEach(x -> p.send(new ProducerRecord<>(w, x.getModelId(), s.weights().serialize(w, x))));
        p.flush();
    }

    /** What the services would have committed: the learner nothing of advantages (offset 0), credit all trajectories. */
    private static void commitServiceOffsets(LocalCluster cluster, Config c) {
        commit(cluster, "ccpo-learner", c.string(CommonKeys.TOPIC_ADVANTAGES), false);
        commit(cluster, "ccpo-credit", c.string(CommonKeys.TOPIC_TRAJECTORIES), true);
    }

    private static void commit(LocalCluster cluster, String group, String topic, boolean toEnd) {
        Map<String, Object> p = new HashMap<>(cluster.kafkaProps());
        p.put("group.id", group);
        p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            var parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            parts.forEach(tp -> offsets.put(tp, new OffsetAndMetadata(toEnd ? end.get(tp) : 0L)));
            c.commitSync(offsets, Duration.ofSeconds(10));
        }
    }

    private static void phase(String what, long t0) {
        System.out.printf("AnalyticsIT: %s after %.1f s%n", what, (System.nanoTime() - t0) / 1e9);
    }
}
