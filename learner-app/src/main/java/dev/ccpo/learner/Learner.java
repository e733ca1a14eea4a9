package dev.ccpo.learner;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.config.Config;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.serde.DeadLetterPublisher;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.weights.WeightsPublisher;
import dev.ccpo.worker.ValueDomains;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The learner service: advantages in, weights out. Offsets live in the checkpoint (partitions are
 * assigned, not subscribed, and never committed), so a restart resumes exactly where the last
 * checkpoint left off: nothing trained twice, nothing skipped. {@link #create} builds it, {@link #run} is its loop,
 * {@link PolicyUpdate} its optimizer step.
 */
public final class Learner implements AutoCloseable {
    private final LearnerSettings settings;
    private final Policies policies;
    private final GroupBatcher batcher;
    private final CheckpointStore store;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final RecordSerdes serdes;
    private final WeightsPublisher publisher;
    private final DeadLetterPublisher dlq;
    private final PolicyUpdate update;
    private long step;
    private long version;
    private volatile boolean stop;
    private final List<String> trainedHere = Collections.synchronizedList(new ArrayList<>());

    private Learner(LearnerSettings s, RecordSerdes serdes, Policies policies, CheckpointStore store, GroupBatcher batcher,
                    KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<byte[], byte[]> producer, long step, long version) {
        this.settings = s;
        this.serdes = serdes;
        this.policies = policies;
        this.store = store;
        this.batcher = batcher;
        this.consumer = consumer;
        this.producer = producer;
        this.step = step;
        this.version = version;
        this.publisher = new WeightsPublisher(producer, serdes.weights(), s.kafka().weightsTopic(), 512 * 1024,
                s.weightsInlineMaxBytes(), s.weightsDir());
        this.dlq = new DeadLetterPublisher(producer, serdes.deadLetter(), s.kafka().dlqTopic(), "learner");
        this.update = new PolicyUpdate(policies, s.roles(), s.alternateSteps(), this::deadLetterGroup);
    }

    /** A learner from the service's config (settings parsed once here). */
    public static Learner create(Config c) {
        return create(LearnerSettings.from(c), RecordSerdes.fromConfig(c));
    }

    /**
     * Loads the policies and the batcher's position from the latest checkpoint (or starts afresh), opens the Kafka
     * clients and seeks to the checkpoint's offsets.
     */
    public static Learner create(LearnerSettings s, RecordSerdes serdes) {
        CheckpointStore store = new CheckpointStore(s.checkpointDir(), s.checkpointKeep());
        GroupBatcher batcher = new GroupBatcher(s.batchGroups(), s.maxPolicyLag());
        Optional<CheckpointStore.Loaded> ck = store.latest();
        Policies policies = Policies.load(s, ck);
        long step = 0, version = 0;
        if (ck.isPresent()) {
            CheckpointStore.Loaded l = ck.get();
            System.out.printf(Locale.ROOT, "resuming from checkpoint %s: step %d, v%d, offsets %s%n", l.dir(),
                    l.meta().step(), l.meta().policyVersion(), l.meta().offsets());
            step = l.meta().step();
            version = l.meta().policyVersion();
            batcher.restore(l.meta().offsets(), l.meta().trainedGroups());
        }
        LearnerSettings.Kafka k = s.kafka();
        KafkaConsumer<byte[], byte[]> consumer = consumer(k);
        KafkaProducer<byte[], byte[]> producer = producer(k); // initTransactions first: it aborts a crashed run's open one
        // After a crash between a publish and the next checkpoint, versions past the checkpoint's are already out:
        // number on from the newest, so a version number never stands for two different sets of weights.
        long published = WeightsFollower.latestPublished(k.clientProperties(), k.weightsTopic(), serdes.weights(), s.modelId(), Duration.ofSeconds(60));
        if (published > version) {
            System.out.printf(Locale.ROOT, "resuming at step %d from a checkpoint of v%d; v%d is already published, so the next version is v%d%n",
                    step, version, published, published + 1);
            version = published;
        }
        assignAndSeek(consumer, k.advantagesTopic(), ck.map(l -> l.meta().offsets()).orElse(Map.of()));
        return new Learner(s, serdes, policies, store, batcher, consumer, producer, step, version);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(LearnerSettings.Kafka k) {
        Map<String, Object> cp = new HashMap<>(k.clientProperties());
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, k.groupId());
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static KafkaProducer<byte[], byte[]> producer(LearnerSettings.Kafka k) {
        Map<String, Object> pp = new HashMap<>(k.clientProperties());
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, k.bootstrapServers());
        pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, k.transactionalId());
        pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        return producer;
    }

    private static void assignAndSeek(KafkaConsumer<byte[], byte[]> consumer, String topic, Map<Integer, Long> offsets) {
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30)))
            tps.add(new TopicPartition(topic, p.partition()));
        consumer.assign(tps);
        for (TopicPartition tp : tps) {
            Long off = offsets.get(tp.partition());
            if (off != null) consumer.seek(tp, off);
            else consumer.seekToBeginning(List.of(tp));
        }
    }

    public long step() { return step; }
    public long policyVersion() { return version; }
    public void requestStop() { stop = true; }
    /** Group ids trained by this instance, in order (tests, diagnostics). */
    public List<String> trainedGroups() { return List.copyOf(trainedHere); }
    /** Groups skipped because their update would have been non-finite (dead-lettered). */
    public long nonFiniteGroups() { return update.nonFiniteGroups(); }

    /** Polls and trains until {@link #requestStop} or maxSteps (<=0 = unbounded); checkpoints on a graceful stop. */
    public void run(long maxSteps, boolean checkpointOnStop) {
        while (!stop && (maxSteps <= 0 || step < maxSteps)) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                AgentAdvantage rec;
                try {
                    rec = serdes.advantage().deserialize(r.topic(), r.value());
                } catch (RuntimeException e) {
                    producer.beginTransaction();
                    dlq.publish(r, "learner: undecodable AgentAdvantage", e);
                    producer.commitTransaction();
                    continue;
                }
                String invalid = invalidReason(rec);
                if (invalid != null) {
                    // dead-lettered, yet still counted toward its group, which trains without it (see PolicyUpdate)
                    producer.beginTransaction();
                    dlq.publish(r, "learner: " + invalid, null);
                    producer.commitTransaction();
                }
                batcher.add(r.partition(), r.offset(), rec, invalid);
            }
            while (!stop && batcher.hasStep() && (maxSteps <= 0 || step < maxSteps)) trainOne();
        }
        if (checkpointOnStop) checkpoint();
    }

    private void trainOne() {
        GroupBatcher.Step s = batcher.nextStep(version).orElse(null);
        if (s == null) return;
        for (GroupBatcher.Group g : s.groups()) trainedHere.add(g.groupId());
        update.apply(s, ++step, version, batcher.droppedStaleTotal());
        if (step % settings.publishEvery() == 0) publish();
        if (step % settings.checkpointEvery() == 0) checkpoint();
    }

    /**
     * The policy a record trains: its agent's own, role + agentId (e.g. "voter2", one policy per voter: the generator's
     * voting.policies=per-voter with --roles=voter0,voter1,...), when this learner has it, else its role's.
     */
    static String policyKey(AgentAdvantage r, Set<String> policies) {
        String own = r.getRole().toString() + r.getAgentId();
        return policies.contains(own) ? own : r.getRole().toString();
    }

    private void deadLetterGroup(String groupId, List<AgentAdvantage> recs, String why) {
        String topic = settings.kafka().advantagesTopic();
        producer.beginTransaction();
        for (AgentAdvantage r : recs) {
            byte[] value = serdes.advantage().serialize(topic, r);  // re-encoded: the learner keeps decoded records
            dlq.publish(topic, -1, -1, groupId.getBytes(StandardCharsets.UTF_8), value,
                    "learner: group " + groupId + " makes the update non-finite: " + why, "NonFiniteUpdate");
        }
        producer.commitTransaction();
    }

    /**
     * Why a decoded record must not be trained on (it would put NaN into the weights or index outside the model),
     * or null: a non-finite advantage, non-finite or missing behaviour log-probs, token ids outside the vocabulary,
     * or more tokens than the model has positions.
     */
    String invalidReason(AgentAdvantage r) {
        List<Integer> out = r.getOutputTokenIds(), prompt = r.getPromptTokenIds();
        try {
            ValueDomains.checkAdvantage(r.getAdvantage());
            ValueDomains.checkLogProbs(r.getAgentId(), out, r.getBehaviourLogProbs());
            PolicyTrainer t = policies.of(r);
            if (t == null) return null; // a role this learner does not train is skipped, not rejected
            ModelConfig mc = t.model().config();
            if (prompt.size() + out.size() > mc.maxPositionEmbeddings())
                return (prompt.size() + out.size()) + " tokens, more than the model's " + mc.maxPositionEmbeddings() + " positions";
            ValueDomains.check(r, mc.vocabSize());
            return null;
        } catch (RejectedRecordException e) {
            return e.getMessage();
        }
    }

    /** Publishes every role's weights as policyVersion+1 in one transaction. */
    private void publish() {
        for (Map.Entry<String, PolicyTrainer> e : policies.entries()) {
            String bad = e.getValue().model().firstNonFiniteTensor();
            if (bad != null)  // cannot happen (every step is checked before it is applied); never published if it does
                throw new IllegalStateException("role " + e.getKey() + ": tensor " + bad + " holds a non-finite value; v"
                        + (version + 1) + " not published");
        }
        producer.beginTransaction();
        try {
            for (Map.Entry<String, PolicyTrainer> e : policies.entries())
                publisher.publish(settings.modelId(), e.getKey(), version + 1, e.getValue().model().exportWeights());
            producer.commitTransaction();
            version++;
        } catch (RuntimeException e) {
            producer.abortTransaction();
            throw e;
        }
    }

    public void checkpoint() {
        store.save(new CheckpointStore.Meta(step, version, batcher.resumeOffsets(), batcher.trainedAfterResume()), policies::save);
    }

    @Override
    public void close() {
        consumer.close();
        producer.close();
        policies.close();
    }
}
