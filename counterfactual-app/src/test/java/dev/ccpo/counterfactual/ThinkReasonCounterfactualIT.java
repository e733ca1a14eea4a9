package dev.ccpo.counterfactual;

import dev.ccpo.avro.CounterfactualMethod;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.Roles;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.weights.WeightsPublisher;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * THINK_REASON on a real broker with the real tiny CausalLM: K Reasoner-alone re-runs per trajectory
 * (the Thinker masked), one outcome per trajectory, and the policy version actually used recorded:
 * the trajectory's own when the worker still holds it, else the newest.
 */
class ThinkReasonCounterfactualIT {
    private static final int K = 2;
    private static final int MAX_NEW_TOKENS = 6;
    private static final String MODEL_ID = "tiny-cf-it";

    @Test
    void oneRerunOutcomePerTrajectoryWithKSamplesAndTheVersionUsed() throws Exception {
        Path modelDir = RealTrajectories.checkpoint(1);
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            Config cfg = cluster.config(CounterfactualApp.spec());
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            Map<String, Object> kafka = cfg.kafkaClientProperties();
            String in = cfg.string(CommonKeys.TOPIC_TRAJECTORIES);
            String weightsTopic = cfg.string(CommonKeys.TOPIC_WEIGHTS);

            // Trajectories generated at v0, v1 and v5 (v5: a version this worker never received).
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            List<Trajectory> sent = new ArrayList<>();
            RolePolicies<ChatModel> policies = RealTrajectories.policies(modelDir, 2);
            ChatModel base = policies.current(Roles.REASONER).model();
            sent.addAll(RealTrajectories.group(runner, base, "g-v0", RealTrajectories.task("t0"), 2, MAX_NEW_TOKENS, 0, 11));
            sent.addAll(RealTrajectories.group(runner, base, "g-v1", RealTrajectories.task("t1"), 1, MAX_NEW_TOKENS, 1, 12));
            sent.addAll(RealTrajectories.group(runner, base, "g-v5", RealTrajectories.task("t2"), 1, MAX_NEW_TOKENS, 5, 13));

            WeightsFollower follower = new WeightsFollower(kafka, weightsTopic, serdes.weights(), MODEL_ID, "cf-it").start();
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka, new ByteArraySerializer(), new ByteArraySerializer())) {
                WeightsPublisher publisher = new WeightsPublisher(p, serdes.weights(), weightsTopic, 256 * 1024, Long.MAX_VALUE, null);
                byte[] v1 = RealTrajectories.weights(2);
                for (String role : TeamSpec.thinkReason().policyKeys()) publisher.publish(MODEL_ID, role, 1, v1);
                for (Trajectory t : sent)
                    p.send(new ProducerRecord<>(in, t.getGroupId().getBytes(StandardCharsets.UTF_8), serdes.trajectory().serialize(in, t)));
            }
            long waitUntil = System.currentTimeMillis() + 60_000;
            while (follower.newerThan(Roles.REASONER, 0).isEmpty() && System.currentTimeMillis() < waitUntil) Thread.sleep(100);
            assertTrue(follower.newerThan(Roles.REASONER, 0).isPresent(), "v1 reached the worker's follower");

            CounterfactualComputer computer = new CounterfactualComputer(policies, new PromptLibrary(), verifier,
                    new SamplingParams(1f, 1f, MAX_NEW_TOKENS, List.of(), 0), K, 0, "cf-it");
            CounterfactualHandler handler = new CounterfactualHandler(computer, policies, follower::newerThan,
                    serdes.counterfactual(), cfg.string(CommonKeys.TOPIC_COUNTERFACTUALS), CharTokenizer.VOCAB);
            TransactionalWorker<Trajectory> worker = new TransactionalWorker<>(kafka, CounterfactualApp.GROUP, "cf-it", in,
                    serdes.trajectory().deserializer(), handler, cfg.string(CommonKeys.TOPIC_DLQ), serdes.deadLetter(), 8, 60_000);
            Thread thread = new Thread(worker::run, "cf-it-worker");
            thread.start();

            Map<String, CounterfactualOutcome> byTrajectory = new TreeMap<>();
            int total = 0;
            try (KafkaConsumer<byte[], byte[]> out = reader(kafka)) {
                out.subscribe(List.of(cfg.string(CommonKeys.TOPIC_COUNTERFACTUALS)));
                long deadline = System.currentTimeMillis() + 90_000;
                while (total < sent.size() && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : out.poll(Duration.ofMillis(200))) {
                        CounterfactualOutcome o = serdes.counterfactual().deserialize(r.topic(), r.value());
                        assertEquals(o.getGroupId(), new String(r.key(), StandardCharsets.UTF_8), "keyed by groupId");
                        byTrajectory.put(o.getTrajectoryId(), o);
                        total++;
                    }
                }
                for (int i = 0; i < 5; i++) total += out.poll(Duration.ofMillis(200)).count();
            } finally {
                worker.stop();
                thread.join(30_000);
                follower.close();
                policies.close();
            }

            assertEquals(sent.size(), total, "exactly one outcome per trajectory (only the Thinker is masked)");
            assertEquals(sent.size(), byTrajectory.size());
            assertEquals(0, worker.deadLettered(), "real trajectories pass validation");
            for (CounterfactualOutcome o : byTrajectory.values()) {
                assertEquals(0, o.getMaskedAgentId());
                assertEquals(Roles.THINKER, o.getMaskedRole());
                assertEquals(CounterfactualMethod.RERUN, o.getMethod());
                assertEquals(K, o.getSamples());
                assertEquals(K, o.getRewards().size());
                assertEquals(K, o.getAnswers().size());
                for (double r : o.getRewards()) assertTrue(r >= 0 && r <= 1, "reward " + r);
                assertEquals(o.getRewards().stream().mapToDouble(Double::doubleValue).average().orElseThrow(), o.getMeanReward(), 1e-9);
                assertEquals("cf-it", o.getWorkerId());
            }
            Map<String, List<Long>> versions = new TreeMap<>();
            for (CounterfactualOutcome o : byTrajectory.values())
                versions.put(o.getTrajectoryId(), List.of(o.getTrajectoryPolicyVersion(), o.getPolicyVersion()));
            assertEquals(Map.of("g-v0/0", List.of(0L, 0L), "g-v0/1", List.of(0L, 0L), "g-v1/0", List.of(1L, 1L),
                            "g-v5/0", List.of(5L, 1L)), versions,
                    "[trajectory version, version used]: its own while held (v0 and v1 kept), else the newest");
        }
    }

    private static KafkaConsumer<byte[], byte[]> reader(Map<String, Object> kafka) {
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + System.nanoTime());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
