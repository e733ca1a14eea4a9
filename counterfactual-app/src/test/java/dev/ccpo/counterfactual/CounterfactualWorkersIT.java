package dev.ccpo.counterfactual;

import ai.djl.Device;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.policy.team.TeamSpec;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real broker and registry. VOTING trajectories: their counterfactuals are exact recomputations, so no
 * model is involved and the pipeline under test is entirely real (broker, EOS worker, serdes, DLQ).
 */
class CounterfactualWorkersIT {
    private static final int TRAJECTORIES = 40;
    private static final int VOTERS = 3;

    /** VOTING never calls a model: this one fails the test loudly if it is. */
    static final class NoModel implements ChatModel {
        public List<Completion> complete(List<List<ChatMessage>> c, SamplingParams p) { throw new AssertionError("VOTING called a model"); }
        public int vocabSize() { return 16; }
        public void close() { }
    }

    private static Trajectory voting(int i) {
        List<Turn> turns = new ArrayList<>();
        for (int v = 0; v < VOTERS; v++) {
            String answer = (i + v) % 2 == 0 ? "2" : "3";
            turns.add(Turn.newBuilder().setAgentId(v).setRole("voter").setPromptTokenIds(List.of(1)).setOutputTokenIds(List.of(2))
                    .setBehaviourLogProbs(List.of(-0.3f)).setText("\\boxed{" + answer + "}").build());
        }
        Trajectory t = CounterfactualHandlerTest.trajectory(Topology.VOTING, turns, 0);
        t.setGroupId("g" + i);
        t.setTrajectoryId("g" + i + "/1");
        return t;
    }

    private static TransactionalWorker<Trajectory> worker(Config cfg, RecordSerdes serdes, Verifier verifier, String id) {
        // The Reasoner is a real (tiny) model: only the oversized THINK_REASON poison pill reaches it, and it must be
        // refused there before any tensor is allocated.
        Map<String, ChatModel> models = new HashMap<>(Map.of("voter", new NoModel()));
        for (String role : TeamSpec.thinkReason().policyKeys())
            models.put(role, CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 1, Device.cpu()));
        RolePolicies<ChatModel> p = new RolePolicies<>(models, 0, (r, b) -> new NoModel(), 2);
        CounterfactualComputer c = new CounterfactualComputer(p, new PromptLibrary(), verifier,
                new SamplingParams(1f, 1f, 8, List.of(), 0).withLimits(2048, 60_000), 1, 0, id);
        CounterfactualHandler h = new CounterfactualHandler(c, p, null, serdes.counterfactual(),
                cfg.string(CommonKeys.TOPIC_COUNTERFACTUALS), 16);
        Map<String, Object> props = new HashMap<>(cfg.kafkaClientProperties());
        props.put("bootstrap.servers", cfg.string(CommonKeys.BOOTSTRAP_SERVERS));
        return new TransactionalWorker<>(props, CounterfactualApp.GROUP, id, cfg.string(CommonKeys.TOPIC_TRAJECTORIES),
                serdes.trajectory().deserializer(), h, cfg.string(CommonKeys.TOPIC_DLQ), serdes.deadLetter(), 4, 60_000);
    }

    @Test
    void twoInstancesPublishExactlyOneOutcomePerTrajectoryAgentAndPoisonGoesToDlq() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            Config cfg = cluster.config(CounterfactualApp.spec());
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            String in = cfg.string(CommonKeys.TOPIC_TRAJECTORIES);
            TransactionalWorker<Trajectory> a = worker(cfg, serdes, verifier, "it-a");
            TransactionalWorker<Trajectory> b = worker(cfg, serdes, verifier, "it-b");
            Thread ta = new Thread(a::run), tb = new Thread(b::run);
            ta.start();
            tb.start();
            // VOTING needs no model, so one instance can finish everything before the other has joined: the input
            // goes in only once both hold partitions
            awaitTwoMembersWithPartitions(cluster);
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < TRAJECTORIES; i++) {
                    Trajectory t = voting(i);
                    p.send(new ProducerRecord<>(in, t.getGroupId().getBytes(StandardCharsets.UTF_8), serdes.trajectory().serialize(in, t)));
                }
                Trajectory bad = voting(999);
                bad.setGroupIndex(7); // outside [0, groupSize)
                p.send(new ProducerRecord<>(in, "bad".getBytes(), serdes.trajectory().serialize(in, bad)));
                p.send(new ProducerRecord<>(in, "junk".getBytes(), "not avro".getBytes()));
                for (byte[] poison : poison(serdes, in)) p.send(new ProducerRecord<>(in, "poison".getBytes(), poison));
            }

            Set<String> seen = new HashSet<>();
            int total = 0;
            List<DeadLetter> dead = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 90_000;
            try (KafkaConsumer<byte[], byte[]> out = consumer(cluster); KafkaConsumer<byte[], byte[]> dlq = consumer(cluster)) {
                out.subscribe(List.of(cfg.string(CommonKeys.TOPIC_COUNTERFACTUALS)));
                dlq.subscribe(List.of(cfg.string(CommonKeys.TOPIC_DLQ)));
                while ((total < TRAJECTORIES * VOTERS || dead.size() < 9) && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : out.poll(Duration.ofMillis(200))) {
                        CounterfactualOutcome o = serdes.counterfactual().deserialize(r.topic(), r.value());
                        seen.add(o.getTrajectoryId() + "#" + o.getMaskedAgentId());
                        total++;
                    }
                    for (ConsumerRecord<byte[], byte[]> r : dlq.poll(Duration.ofMillis(200)))
                        dead.add(serdes.deadLetter().deserialize(r.topic(), r.value()));
                }
                // Linger a little: anything beyond the expected set would be a duplicate.
                for (int i = 0; i < 5; i++) total += out.poll(Duration.ofMillis(200)).count();
            } finally {
                a.stop();
                b.stop();
                ta.join(30_000);
                tb.join(30_000);
            }
            assertEquals(TRAJECTORIES * VOTERS, seen.size(), "one outcome per (trajectory, voter)");
            assertEquals(TRAJECTORIES * VOTERS, total, "no duplicates under read_committed");
            assertEquals(9, dead.size(), "poisoned records in the DLQ: " + dead);
            for (String reason : List.of("groupIndex 7 outside", "reward NaN outside the reward domain [0.0, 1.0]",
                    "reward 1.0E300 outside the reward domain [0.0, 1.0]", "trajectory has no turns",
                    "processing failed: dev.ccpo.policy.PromptTooLongException: prompt of ", "exceeds the limit of 2048 (max.prompt.tokens)"))
                assertTrue(dead.stream().anyMatch(d -> d.getReason().toString().contains(reason)), reason + " in " + dead);
            assertEquals(4, dead.stream().filter(d -> d.getReason().toString().startsWith("undecodable")).count(),
                    "text, random bytes, truncated, another type: " + dead);
            assertTrue(a.processed() > 0 && b.processed() > 0, "both instances got partitions: a=" + a.processed() + " b=" + b.processed());
        }
    }

    /**
     * Random bytes behind the registry's magic byte, a truncated trajectory, a record of another type (a task, as a
     * producer that skips the registry's check would write it), a NaN reward, a trajectory without turns, a finite but
     * absurd reward (1e300) and a THINK_REASON trajectory whose question is 300 KB (a poison pill for the model).
     */
    private static List<byte[]> poison(RecordSerdes serdes, String topic) {
        byte[] noise = new byte[1024];
        new Random(3).nextBytes(noise);
        noise[0] = 0;
        byte[] whole = serdes.trajectory().serialize(topic, voting(998));
        Trajectory nan = voting(997);
        nan.setReward(Double.NaN);
        Trajectory empty = voting(996);
        empty.setTurns(List.of());
        Trajectory absurd = voting(994);
        absurd.setReward(1e300);
        // A question of a few hundred KB inside a THINK_REASON trajectory: the Reasoner re-run would allocate ~40 GB.
        Trajectory huge = CounterfactualHandlerTest.trajectory(Topology.THINK_REASON, List.of(
                Turn.newBuilder().setAgentId(0).setRole("thinker").setPromptTokenIds(List.of(1)).setOutputTokenIds(List.of(2))
                        .setBehaviourLogProbs(List.of(-0.3f)).setText("plan").build(),
                Turn.newBuilder().setAgentId(1).setRole("reasoner").setPromptTokenIds(List.of(1)).setOutputTokenIds(List.of(2))
                        .setBehaviourLogProbs(List.of(-0.3f)).setText("\\boxed{2}").build()), 0);
        huge.setGroupId("g993");
        huge.setTrajectoryId("g993/1");
        huge.getTask().setQuestion("7+".repeat(150_000) + "1?");
        return List.of(noise, Arrays.copyOf(whole, whole.length / 2), serdes.task().serialize("ccpo.tasks", voting(995).getTask()),
                serdes.trajectory().serialize(topic, nan), serdes.trajectory().serialize(topic, empty),
                serdes.trajectory().serialize(topic, absurd), serdes.trajectory().serialize(topic, huge));
    }

    @Test
    void workerStoppedMidStreamAndRestartedYieldsCompleteSetWithoutGaps() throws Exception {
        // Enough records that the first life cannot finish them all before it is stopped.
        int n = 400;
        try (LocalCluster cluster = LocalCluster.start(); Verifier verifier = new Verifier()) {
            Config cfg = cluster.config(CounterfactualApp.spec());
            RecordSerdes serdes = RecordSerdes.fromConfig(cfg);
            String in = cfg.string(CommonKeys.TOPIC_TRAJECTORIES);
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < n; i++) {
                    Trajectory t = voting(i);
                    p.send(new ProducerRecord<>(in, t.getGroupId().getBytes(StandardCharsets.UTF_8), serdes.trajectory().serialize(in, t)));
                }
            }
            Set<String> seen = new HashSet<>();
            int total = 0;
            try (KafkaConsumer<byte[], byte[]> out = consumer(cluster)) {
                out.subscribe(List.of(cfg.string(CommonKeys.TOPIC_COUNTERFACTUALS)));
                // First life: stop as soon as some (not all) outcomes are visible.
                TransactionalWorker<Trajectory> first = worker(cfg, serdes, verifier, "it-r");
                Thread t1 = new Thread(first::run);
                t1.start();
                long deadline = System.currentTimeMillis() + 60_000;
                while (total == 0 && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : out.poll(Duration.ofMillis(100))) {
                        seen.add(key(serdes, r));
                        total++;
                    }
                }
                first.stop();
                t1.join(30_000);
                long firstProcessed = first.processed();
                assertTrue(firstProcessed > 0 && firstProcessed < n, "stopped mid-stream after " + firstProcessed);
                // Second life, same transactional id: resumes from the last committed batch.
                TransactionalWorker<Trajectory> second = worker(cfg, serdes, verifier, "it-r");
                Thread t2 = new Thread(second::run);
                t2.start();
                deadline = System.currentTimeMillis() + 60_000;
                while (total < n * VOTERS && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : out.poll(Duration.ofMillis(200))) {
                        seen.add(key(serdes, r));
                        total++;
                    }
                }
                for (int i = 0; i < 5; i++) total += out.poll(Duration.ofMillis(200)).count();
                second.stop();
                t2.join(30_000);
                assertEquals(n, firstProcessed + second.processed(), "each trajectory processed once in total");
            }
            assertEquals(n * VOTERS, seen.size(), "complete set, no gaps");
            assertEquals(n * VOTERS, total, "no duplicates");
        }
    }

    private static String key(RecordSerdes serdes, ConsumerRecord<byte[], byte[]> r) {
        CounterfactualOutcome o = serdes.counterfactual().deserialize(r.topic(), r.value());
        return o.getTrajectoryId() + "#" + o.getMaskedAgentId();
    }

    private static KafkaConsumer<byte[], byte[]> consumer(LocalCluster cluster) {
        Map<String, Object> c = new HashMap<>(cluster.kafkaProps());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-reader-" + System.nanoTime());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static void awaitTwoMembersWithPartitions(LocalCluster cluster) throws Exception {
        try (Admin admin = Admin.create(cluster.kafkaProps())) {
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline) {
                var group = admin.describeConsumerGroups(List.of(CounterfactualApp.GROUP)).all().get().get(CounterfactualApp.GROUP);
                if (group.members().size() == 2 && group.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) return;
                Thread.sleep(200);
            }
            throw new AssertionError("the two workers did not both get partitions of " + CounterfactualApp.GROUP + " within 60 s");
        }
    }
}
