package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.config.Config;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.weights.WeightsFollower;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real broker + registry: advantages in, weights out, crash and exact resume from the checkpoint. */
class LearnerIT {
    @TempDir Path tmp;

    @Test
    void trainsPublishesAndResumesWithoutRetraining() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            Config cfg = learner(cluster, "--checkpoint.every=2", "--lr=0.001", "--micro.batch.size=2");
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            // 4 groups of 2 records, group i on partition i % 2
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int g = 0; g < 4; g++) for (int k = 0; k < 2; k++) {
                    AgentAdvantage a = TestRecords.advantage("g" + g, 2, 0, true, k == 0 ? 1.0 : -1.0,
                            List.of(40 + g, 41, 42), List.of(-4f, -4f, -4f));
                    p.send(new ProducerRecord<>("ccpo.advantages", g % 2, null, serdes.advantage().serialize("ccpo.advantages", a)));
                }
                p.flush();
            }
            List<String> first;
            try (Learner l = Learner.create(cfg)) {
                l.run(3, false);              // steps 1..3, checkpoint after step 2, then "crash" (no checkpoint)
                assertEquals(3, l.step());
                assertEquals(3, l.policyVersion());
                first = l.trainedGroups();
            }
            assertEquals(3, first.size());
            try (WeightsFollower f = new WeightsFollower(cluster.kafkaProps(), "ccpo.weights", serdes.weights(), "tiny", "it").start()) {
                assertEquals(3, f.awaitVersion(3, Duration.ofSeconds(60)));
                WeightsBlob b = f.newerThan("thinker", 0).orElseThrow();
                try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 99, Device.cpu())) {
                    m.importWeights(b.bytes()); // throws on wrong names/shapes
                }
            }
            try (Learner l = Learner.create(cfg)) {
                assertEquals(2, l.step(), "resumed from the step-2 checkpoint");
                assertEquals(3, l.policyVersion(), "v3 was published before the crash: the next version is v4, not a second v3");
                l.run(4, true);
                assertEquals(5, l.policyVersion(), "steps 3 and 4 redone and published as v4 and v5");
                List<String> second = l.trainedGroups();
                // the un-checkpointed step 3 is redone from the checkpoint; groups of steps 1-2 are never retrained
                assertEquals(2, second.size());
                assertTrue(Collections.disjoint(first.subList(0, 2), second), "checkpointed groups retrained: " + second);
                Set<String> all = new HashSet<>(first.subList(0, 2));
                all.addAll(second);
                assertEquals(Set.of("g0", "g1", "g2", "g3"), all);
                assertEquals(4, first.subList(0, 2).size() + second.size());
            }
            assertEquals(5, WeightsFollower.latestPublished(cluster.kafkaProps(), "ccpo.weights", serdes.weights(), "tiny", Duration.ofSeconds(30)));
            assertEquals(-1, WeightsFollower.latestPublished(cluster.kafkaProps(), "ccpo.weights", serdes.weights(), "other-model", Duration.ofSeconds(30)));
        }
    }

    /**
     * Bad records on ccpo.advantages among valid groups: undecodable bytes, a NaN advantage, log-probs that do not
     * match the tokens, a NaN log-prob, a token id outside the vocabulary, more tokens than the model has positions.
     * Each is dead-lettered with its reason; its group still completes and trains on its valid records; the
     * published weights stay finite.
     */
    @Test
    void badAdvantagesAreDeadLetteredAndTheWeightsStayFinite() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            Config cfg = learner(cluster, "--checkpoint.every=100", "--lr=0.01", "--micro.batch.size=4");
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            List<Integer> ok = List.of(40, 41, 42);
            List<Float> okLp = List.of(-4f, -4f, -4f);
            List<AgentAdvantage> bad = List.of(
                    TestRecords.advantage("g0", 2, 0, true, Double.NaN, ok, okLp),
                    TestRecords.advantage("g1", 2, 0, true, 1.0, ok, List.of(-4f)),
                    TestRecords.advantage("g2", 2, 0, true, 1.0, ok, List.of(-4f, Float.NaN, -4f)),
                    TestRecords.advantage("g3", 2, 0, true, 1.0, List.of(40, 99_999, 42), okLp),
                    TestRecords.advantage("g4", 2, 0, true, 1.0, java.util.Collections.nCopies(600, 40), java.util.Collections.nCopies(600, -4f)),
                    TestRecords.advantage("g5", 2, 0, true, 1e30, ok, okLp),
                    TestRecords.advantage("g6", 2, 0, true, 1.0, ok, List.of(-4f, 0.5f, -4f)));
            // In every domain, yet its update is not finite: behaviour log-probs of -1000 make the ratio exp(~996) = inf
            // in fp32, and the gradient NaN. The learner must skip the step, dead-letter the group and keep its weights.
            AgentAdvantage spoilerGood = TestRecords.advantage("g7", 2, 0, true, 1.0, ok, okLp);
            AgentAdvantage spoiler = TestRecords.advantage("g7", 2, 0, true, 50.0, ok, List.of(-1000f, -1000f, -1000f));
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>("ccpo.advantages", 0, null, "not avro".getBytes()));
                for (int g = 0; g < bad.size(); g++) {
                    AgentAdvantage good = TestRecords.advantage("g" + g, 2, 0, true, g % 2 == 0 ? 1.0 : -1.0, ok, okLp);
                    p.send(new ProducerRecord<>("ccpo.advantages", g % 2, null, serdes.advantage().serialize("ccpo.advantages", good)));
                    p.send(new ProducerRecord<>("ccpo.advantages", g % 2, null, serdes.advantage().serialize("ccpo.advantages", bad.get(g))));
                }
                p.send(new ProducerRecord<>("ccpo.advantages", 0, null, serdes.advantage().serialize("ccpo.advantages", spoilerGood)));
                p.send(new ProducerRecord<>("ccpo.advantages", 0, null, serdes.advantage().serialize("ccpo.advantages", spoiler)));
                p.flush();
            }
            try (Learner l = Learner.create(cfg)) {
                l.run(bad.size() + 1, false);
                assertEquals(List.of("g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"), l.trainedGroups().stream().sorted().toList(),
                        "every group consumed");
                assertEquals(1, l.nonFiniteGroups(), "g7 skipped");
            }
            Map<String, Object> rp = new HashMap<>(cluster.kafkaProps());
            rp.put("group.id", "it-dlq");
            rp.put("auto.offset.reset", "earliest");
            List<String> reasons = new ArrayList<>();
            try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(rp, new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                c.subscribe(List.of("ccpo.dlq"));
                long until = System.currentTimeMillis() + 30_000;
                while (reasons.size() < bad.size() + 3 && System.currentTimeMillis() < until)
                    c.poll(Duration.ofMillis(200)).forEach(r -> reasons.add(serdes.deadLetter().deserialize("ccpo.dlq", r.value()).getReason().toString()));
            }
            assertEquals(bad.size() + 3, reasons.size(), "one dead letter per bad record and both of g7's: " + reasons);
            for (String expected : List.of("undecodable", "advantage NaN outside [-100.0, 100.0]", "agent 0: 1 log-probs for 3 output tokens",
                    "agent 0: log-prob 1 is NaN", "agent 0: outputTokenIds[1] = 99999 outside [0, ", "603 tokens, more than the model's",
                    "advantage 1.0E30 outside [-100.0, 100.0]", "agent 0: log-prob 1 is 0.5, outside [-1000.0, 0]"))
                assertTrue(reasons.stream().anyMatch(r -> r.contains(expected)), expected + " in " + reasons);
            try (WeightsFollower f = new WeightsFollower(cluster.kafkaProps(), "ccpo.weights", serdes.weights(), "tiny", "it").start();
                 CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 99, Device.cpu())) {
                assertEquals(2, reasons.stream().filter(r -> r.contains("learner: group g7 makes the update non-finite: gradient norm is NaN")).count(),
                        reasons.toString());
                assertEquals(bad.size() + 1, f.awaitVersion(bad.size() + 1, Duration.ofSeconds(60)));
                m.importWeights(f.newerThan("thinker", 0).orElseThrow().bytes());
                for (var e : m.parameters().entrySet())
                    assertTrue(!e.getValue().isNaN().any().getBoolean() && !e.getValue().isInfinite().any().getBoolean(), "finite " + e.getKey());
            }
        }
    }

    /** The topics the learner uses and a one-role learner config on them, plus {@code extra} settings. */
    private Config learner(LocalCluster cluster, String... extra) {
        cluster.createTopic("ccpo.advantages", 2, Map.of());
        cluster.createTopic("ccpo.weights", 1, Map.of("cleanup.policy", "compact"));
        cluster.createTopic("ccpo.dlq", 1, Map.of());
        List<String> args = new ArrayList<>(List.of("--roles=thinker", "--batch.groups=1", "--publish.every=1", "--alternate.steps=0",
                "--max.policy.lag=1000", "--device=cpu", "--checkpoint.dir=" + tmp.resolve("ck"), "--weights.dir=" + tmp.resolve("w")));
        args.addAll(List.of(extra));
        return cluster.config(LearnerKeys.spec(), args.toArray(String[]::new));
    }
}
