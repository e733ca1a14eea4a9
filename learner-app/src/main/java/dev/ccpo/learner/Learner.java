package dev.ccpo.learner;

import ai.djl.Device;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.Devices;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.serde.DeadLetterPublisher;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.weights.WeightsPublisher;
import dev.ccpo.worker.ValueDomains;
import java.io.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The learner service: advantages in, weights out. Offsets live in the checkpoint (partitions are
 * assigned, not subscribed, and never committed), so a restart resumes exactly where the last
 * checkpoint left off: nothing trained twice, nothing skipped.
 */
public final class Learner implements AutoCloseable {
    private final Config c;
    private final List<String> roles;
    private final Map<String, PolicyTrainer> trainers = new LinkedHashMap<>(); // role -> trainer (shared: same one)
    private final GroupBatcher batcher;
    private final CheckpointStore store;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final RecordSerdes serdes;
    private final WeightsPublisher publisher;
    private final DeadLetterPublisher dlq;
    private final String topic;
    private long step;
    private long version;
    private long frozenSkipped;
    private long nonFiniteGroups;
    private volatile boolean stop;
    private final List<String> trainedHere = Collections.synchronizedList(new ArrayList<>());

    public Learner(Config c) {
        this.c = c;
        this.roles = Arrays.stream(c.string("roles").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (roles.isEmpty()) throw new IllegalArgumentException("roles must name at least one role");
        this.store = new CheckpointStore(Paths.get(c.string("checkpoint.dir")), c.integer("checkpoint.keep"));
        this.batcher = new GroupBatcher(c.integer("batch.groups"), c.longValue("max.policy.lag"));
        Device device = Devices.pick(c.string("device"));
        Optional<CheckpointStore.Loaded> ck = store.latest();
        boolean shared = c.string("policy.sharing").equals("shared");
        PolicyTrainer sharedTrainer = null;
        for (String role : roles) {
            if (shared && sharedTrainer != null) { trainers.put(role, sharedTrainer); continue; }
            String part = shared ? "shared" : role;
            CausalLM model = ck.isPresent() ? CausalLM.open(ck.get().dir().resolve(part), device) : initial(part, device);
            PolicyTrainer t = new PolicyTrainer(model, c.decimal("kl.coef") > 0 ? initial(part, device) : null,
                    LearnerKeys.optimizer(c), LearnerKeys.loss(c), c.integer("micro.batch.size"), (float) c.decimal("temperature"));
            if (ck.isPresent()) loadOptimizer(t, ck.get().dir().resolve(part + ".adamw"));
            trainers.put(role, t);
            if (shared) sharedTrainer = t;
        }
        ck.ifPresent(l -> {
            System.out.printf(Locale.ROOT, "resuming from checkpoint %s: step %d, v%d, offsets %s%n", l.dir(),
                    l.meta().step(), l.meta().policyVersion(), l.meta().offsets());
            step = l.meta().step();
            version = l.meta().policyVersion();
            batcher.restore(l.meta().offsets(), l.meta().trainedGroups());
        });
        this.serdes = RecordSerdes.fromConfig(c);
        this.topic = c.string(CommonKeys.TOPIC_ADVANTAGES);
        Map<String, Object> cp = new HashMap<>(c.kafkaClientProperties());
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.string(CommonKeys.BOOTSTRAP_SERVERS));
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, c.string("group.id"));
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> pp = new HashMap<>(c.kafkaClientProperties());
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.string(CommonKeys.BOOTSTRAP_SERVERS));
        pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, c.string("transactional.id"));
        pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
        this.producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        this.publisher = new WeightsPublisher(producer, serdes.weights(), c.string(CommonKeys.TOPIC_WEIGHTS), 512 * 1024,
                c.longValue("weights.inline.max.bytes"), Paths.get(c.string("weights.dir")));
        this.dlq = new DeadLetterPublisher(producer, serdes.deadLetter(), c.string(CommonKeys.TOPIC_DLQ), "learner");
        // After a crash between a publish and the next checkpoint, versions past the checkpoint's are already out:
        // number on from the newest, so a version number never stands for two different sets of weights.
        long published = WeightsFollower.latestPublished(c.kafkaClientProperties(), c.string(CommonKeys.TOPIC_WEIGHTS), serdes.weights(), modelId(), Duration.ofSeconds(60));
        if (published > version) {
            System.out.printf(Locale.ROOT, "resuming at step %d from a checkpoint of v%d; v%d is already published, so the next version is v%d%n",
                    step, version, published, published + 1);
            version = published;
        }
        assignAndSeek(ck.map(l -> l.meta().offsets()).orElse(Map.of()));
    }

    /** The policy's initial model: its own folder of policy.model.dirs, else model.dir, else a fresh tiny model. */
    private CausalLM initial(String policy, Device device) {
        java.nio.file.Path own = dev.ccpo.policy.model.PolicyDirs.parse(c.string(dev.ccpo.policy.model.PolicyDirs.KEY)).get(policy);
        if (own != null) return CausalLM.open(own, device);
        String dir = c.string("model.dir");
        if (!dir.isBlank()) return CausalLM.open(Paths.get(dir), device);
        return CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), c.longValue("seed"), device);
    }

    private void assignAndSeek(Map<Integer, Long> offsets) {
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
                    // dead-lettered, yet still counted toward its group, which trains without it (see trainOne)
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
        int alt = c.integer("alternate.steps");
        String active = alt == 0 ? null : roles.get((int) ((step / alt) % roles.size()));
        Map<PolicyTrainer, List<AgentAdvantage>> byTrainer = new LinkedHashMap<>();
        for (GroupBatcher.Item item : s.items()) {
            AgentAdvantage r = item.rec();
            String role = policyKey(r, trainers.keySet());
            PolicyTrainer t = trainers.get(role);
            if (t == null || (active != null && !active.equals(role)) || r.getOutputTokenIds().isEmpty() || item.rejected() != null) {
                frozenSkipped++; // frozen role this step, unknown role, nothing to score or dead-lettered: counted, not trained
                continue;
            }
            byTrainer.computeIfAbsent(t, k -> new ArrayList<>()).add(r);
        }
        step++;
        for (Map.Entry<PolicyTrainer, List<AgentAdvantage>> e : byTrainer.entrySet()) {
            PolicyTrainer.StepMetrics m = e.getKey().step(e.getValue());
            if (m.skipped() != null) m = withoutSpoilingGroups(e.getKey(), e.getValue(), m.skipped());
            if (m == null) continue;
            long lag = version - e.getValue().stream().mapToLong(AgentAdvantage::getPolicyVersion).min().orElse(version);
            System.out.printf(Locale.ROOT, "step %d role %s loss %.5f |A| %.4f clip %.3f kl %.5f gnorm %.4f lr %.2e"
                            + " tok/s %.1f version %d lag %d dropped %d skipped %d groups %s%n", step, roleOf(e.getKey()), m.loss(),
                    m.meanAbsAdv(), m.clipFraction(), m.approxKl(), m.gradNorm(), m.lr(), m.tokensPerSecond(), version, lag,
                    batcher.droppedStaleTotal(), frozenSkipped, String.join(",", s.groups().stream().map(GroupBatcher.Group::groupId).toList()));
        }
        if (step % c.integer("publish.every") == 0) publish();
        if (step % c.integer("checkpoint.every") == 0) checkpoint();
    }

    /**
     * The policy a record trains: its agent's own, role + agentId (e.g. "voter2", one policy per voter: the generator's
     * voting.policies=per-voter with --roles=voter0,voter1,...), when this learner has it, else its role's.
     */
    static String policyKey(AgentAdvantage r, java.util.Set<String> policies) {
        String own = r.getRole().toString() + r.getAgentId();
        return policies.contains(own) ? own : r.getRole().toString();
    }

    /**
     * A step came out non-finite (loss, gradient norm or an updated weight) and changed nothing. Each group is probed
     * alone: the groups whose loss or gradient norm is non-finite are dead-lettered (every record, with the reason), and
     * the rest are stepped once more; if that step is refused too, its groups are dead-lettered as well. The weights
     * and the optimizer state only ever change by a finite step. Returns that step's metrics, or null if none was taken.
     */
    private PolicyTrainer.StepMetrics withoutSpoilingGroups(PolicyTrainer t, List<AgentAdvantage> recs, String why) {
        Map<String, List<AgentAdvantage>> byGroup = new LinkedHashMap<>();
        for (AgentAdvantage r : recs) byGroup.computeIfAbsent(r.getGroupId().toString(), k -> new ArrayList<>()).add(r);
        List<AgentAdvantage> keep = new ArrayList<>();
        for (Map.Entry<String, List<AgentAdvantage>> g : byGroup.entrySet()) {
            String bad = byGroup.size() == 1 ? why : t.probe(g.getValue());
            if (bad == null) keep.addAll(g.getValue());
            else deadLetterGroup(g.getKey(), g.getValue(), bad);
        }
        if (keep.isEmpty()) return null;
        PolicyTrainer.StepMetrics m = t.step(keep);
        if (m.skipped() == null) return m;
        Map<String, List<AgentAdvantage>> rest = new LinkedHashMap<>();
        for (AgentAdvantage r : keep) rest.computeIfAbsent(r.getGroupId().toString(), k -> new ArrayList<>()).add(r);
        rest.forEach((g, rs) -> deadLetterGroup(g, rs, m.skipped() + " (in a step with " + String.join(",", rest.keySet()) + ")"));
        return null;
    }

    private void deadLetterGroup(String groupId, List<AgentAdvantage> recs, String why) {
        nonFiniteGroups++;
        System.out.printf(Locale.ROOT, "step %d: group %s not trained, the update would be non-finite (%s); its %d records "
                + "dead-lettered, the weights kept%n", step, groupId, why, recs.size());
        producer.beginTransaction();
        for (AgentAdvantage r : recs) {
            byte[] value = serdes.advantage().serialize(topic, r);  // re-encoded: the learner keeps decoded records
            dlq.publish(topic, -1, -1, groupId.getBytes(java.nio.charset.StandardCharsets.UTF_8), value,
                    "learner: group " + groupId + " makes the update non-finite: " + why, "NonFiniteUpdate");
        }
        producer.commitTransaction();
    }

    /** Groups skipped because their update would have been non-finite (dead-lettered). */
    public long nonFiniteGroups() { return nonFiniteGroups; }

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
            PolicyTrainer t = trainers.get(policyKey(r, trainers.keySet()));
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

    private String roleOf(PolicyTrainer t) {
        List<String> rs = new ArrayList<>();
        trainers.forEach((r, x) -> { if (x == t) rs.add(r); });
        return String.join("+", rs);
    }

    /** Publishes every role's weights as policyVersion+1 in one transaction. */
    private void publish() {
        for (Map.Entry<String, PolicyTrainer> e : trainers.entrySet()) {
            String bad = e.getValue().model().firstNonFiniteTensor();
            if (bad != null)  // cannot happen (every step is checked before it is applied); never published if it does
                throw new IllegalStateException("role " + e.getKey() + ": tensor " + bad + " holds a non-finite value; v"
                        + (version + 1) + " not published");
        }
        producer.beginTransaction();
        try {
            for (Map.Entry<String, PolicyTrainer> e : trainers.entrySet())
                publisher.publish(modelId(), e.getKey(), version + 1, e.getValue().model().exportWeights());
            producer.commitTransaction();
            version++;
        } catch (RuntimeException e) {
            producer.abortTransaction();
            throw e;
        }
    }

    private String modelId() {
        if (!c.string("model.id").isBlank()) return c.string("model.id");
        String d = c.string("model.dir");
        return d.isBlank() ? "tiny" : Paths.get(d).getFileName().toString();
    }

    public void checkpoint() {
        Set<PolicyTrainer> done = new HashSet<>();
        boolean shared = c.string("policy.sharing").equals("shared");
        store.save(new CheckpointStore.Meta(step, version, batcher.resumeOffsets(), batcher.trainedAfterResume()), dir -> {
            for (Map.Entry<String, PolicyTrainer> e : trainers.entrySet()) {
                if (!done.add(e.getValue())) continue;
                String part = shared ? "shared" : e.getKey();
                e.getValue().model().save(dir.resolve(part));
                try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                        Files.newOutputStream(dir.resolve(part + ".adamw"))))) {
                    e.getValue().optimizer().save(out);
                }
            }
        });
    }

    private static void loadOptimizer(PolicyTrainer t, Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            t.optimizer().load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint optimizer state " + file + " unreadable: " + e, e);
        }
    }

    @Override
    public void close() {
        consumer.close();
        producer.close();
        for (PolicyTrainer t : new HashSet<>(trainers.values())) {
            t.close();
            t.model().close();
        }
    }
}
