package dev.ccpo.demo.monitor;

import dev.ccpo.analytics.CreditQuality;
import dev.ccpo.analytics.StageLatency;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Watches the pipeline from the outside, like any other consumer of its topics (read_committed, from the beginning,
 * no consumer group): counts every topic's records and aggregates rewards, credit and advantages per policy version.
 * Never touches the services' internals, so what it reports is what actually flowed through Kafka.
 */
public final class PipelineMonitor implements AutoCloseable {
    // end to end bookkeeping: how often each trajectory was seen, and per trajectory each agent's counterfactual
    // (masked seat) and advantage (seat); a seat is "role/agentId", as a VOTING team has several agents of one role
    private final Map<String, Integer> trajectoryIds = new HashMap<>();
    private final Map<String, Map<String, Integer>> counterfactualSeats = new HashMap<>();
    private final Map<String, Map<String, Integer>> advantageSeats = new HashMap<>();
    private final Map<String, Long> lastWeightsVersion = new HashMap<>(); // role -> newest policy version seen
    private final List<String> weightsProblems = new ArrayList<>();

    /** Aggregates of one policy version (the version that generated the rollouts). */
    public static final class VersionStats {
        public long trajectories;
        public double rewardSum;
        public long counterfactuals;
        public double counterfactualRewardSum;
        public final Map<String, RoleStats> roles = new TreeMap<>();
        /** Credit against the turns' ground truth, for this version's groups (a group has one version). */
        public final CreditQuality creditQuality = new CreditQuality(1_000);

        public double meanReward() { return trajectories == 0 ? Double.NaN : rewardSum / trajectories; }
        public double meanCounterfactualReward() { return counterfactuals == 0 ? Double.NaN : counterfactualRewardSum / counterfactuals; }
    }

    /** Per role: marginal contribution and advantage moments. */
    public static final class RoleStats {
        public long count;
        public double contributionSum;
        public double advantageSum;
        public double advantageSqSum;

        public double meanContribution() { return count == 0 ? Double.NaN : contributionSum / count; }
        public double meanAdvantage() { return count == 0 ? Double.NaN : advantageSum / count; }
        public double stdAdvantage() {
            if (count < 2) return Double.NaN;
            double m = meanAdvantage();
            return Math.sqrt(Math.max(0, (advantageSqSum - count * m * m) / (count - 1)));
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RecordSerdes serdes;
    private final Map<String, String> topics; // topic name -> short name
    private final Map<String, Long> counts = new TreeMap<>();
    private final TreeMap<Long, VersionStats> versions = new TreeMap<>();
    private final Map<String, List<Double>> advantages = new TreeMap<>();
    private final Map<String, Long> workerVersions = new TreeMap<>();
    private final StageLatency latency = new StageLatency();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    /** topics: short name (trajectories, counterfactuals, advantages, rollout-stats, weights, dlq) -> topic. */
    public PipelineMonitor(Map<String, Object> kafkaProps, RecordSerdes serdes, Map<String, String> topicsByName) {
        Map<String, Object> p = new HashMap<>(kafkaProps);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "ccpo-demo-monitor");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.serdes = serdes;
        this.topics = new HashMap<>();
        topicsByName.forEach((name, topic) -> topics.put(topic, name));
        List<TopicPartition> parts = new ArrayList<>();
        for (String topic : topics.keySet()) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        this.thread = new Thread(this::loop, "ccpo-demo-monitor");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) record(r);
            }
        } catch (WakeupException e) {
            // close() woke us up
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private synchronized void record(ConsumerRecord<byte[], byte[]> r) {
        String name = topics.get(r.topic());
        counts.merge(name, 1L, Long::sum);
        if (r.value() == null) return;
        long seenAt = System.currentTimeMillis();
        switch (name) {
            case "trajectories" -> {
                Trajectory t = serdes.trajectory().deserialize(r.topic(), r.value());
                trajectoryIds.merge(t.getTrajectoryId(), 1, Integer::sum);
                VersionStats v = versions.computeIfAbsent(t.getPolicyVersion(), k -> new VersionStats());
                v.trajectories++;
                v.rewardSum += t.getReward();
                workerVersions.merge(t.getWorkerId(), t.getPolicyVersion(), Math::max);
                latency.trajectory(t.getTrajectoryId(), t.getGroupId(), t.getPolicyVersion(), t.getCreatedAtMs().toEpochMilli(), seenAt);
            }
            case "counterfactuals" -> {
                CounterfactualOutcome c = serdes.counterfactual().deserialize(r.topic(), r.value());
                counterfactualSeats.computeIfAbsent(c.getTrajectoryId(), k -> new TreeMap<>())
                        .merge(c.getMaskedRole() + "/" + c.getMaskedAgentId(), 1, Integer::sum);
                VersionStats v = versions.computeIfAbsent(c.getTrajectoryPolicyVersion(), k -> new VersionStats());
                v.counterfactuals++;
                v.counterfactualRewardSum += c.getMeanReward();
                workerVersions.merge(c.getWorkerId(), c.getPolicyVersion(), Math::max);
                latency.counterfactual(c.getTrajectoryId(), c.getGroupId(), seenAt);
            }
            case "advantages" -> {
                AgentAdvantage a = serdes.advantage().deserialize(r.topic(), r.value());
                advantageSeats.computeIfAbsent(a.getTrajectoryId(), k -> new TreeMap<>()).merge(a.getRole() + "/" + a.getAgentId(), 1, Integer::sum);
                VersionStats vs = versions.computeIfAbsent(a.getPolicyVersion(), k -> new VersionStats());
                vs.creditQuality.add(a);
                RoleStats s = vs.roles.computeIfAbsent(a.getRole(), k -> new RoleStats());
                s.count++;
                s.contributionSum += a.getMarginalContribution();
                s.advantageSum += a.getAdvantage();
                s.advantageSqSum += a.getAdvantage() * a.getAdvantage();
                advantages.computeIfAbsent(a.getRole(), k -> new ArrayList<>()).add(a.getAdvantage());
                latency.advantage(a.getGroupId(), seenAt);
            }
            case "weights" -> {
                PolicyWeights w;
                try {
                    w = serdes.weights().deserialize(r.topic(), r.value());
                } catch (RuntimeException e) { // the workers refuse and count such records themselves; the run is not whole
                    weightsProblems.add("undecodable weights record at " + r.topic() + "-" + r.partition() + "@" + r.offset());
                    return;
                }
                latency.weights(w.getPolicyVersion(), seenAt);
                if (w.getChunkIndex() == 0) { // one per published set
                    Long last = lastWeightsVersion.put(w.getRole(), w.getPolicyVersion());
                    if (last != null && w.getPolicyVersion() <= last)
                        weightsProblems.add(w.getRole() + " v" + w.getPolicyVersion() + " after v" + last);
                }
            }
            default -> { } // counted only
        }
    }

    /** Records seen per short topic name. */
    public synchronized Map<String, Long> counts() {
        rethrow();
        return new TreeMap<>(counts);
    }

    public synchronized long count(String name) {
        rethrow();
        return counts.getOrDefault(name, 0L);
    }

    /** Per policy version aggregates (copies of the live objects are not needed: read under the monitor's lock). */
    public synchronized <R> R read(java.util.function.Function<java.util.NavigableMap<Long, VersionStats>, R> reader) {
        rethrow();
        return reader.apply(versions);
    }

    /** All advantages seen per role, for the histograms. */
    public synchronized Map<String, List<Double>> advantages() {
        Map<String, List<Double>> out = new TreeMap<>();
        advantages.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    /** Credit AUC, rewarded mistakes and punished successes per role over every advantage seen. */
    public synchronized List<CreditQuality.Figures> creditQuality() {
        return CreditQuality.sum(versions.values().stream().map(v -> v.creditQuality.figures()).toList());
    }

    /** Per-stage latency percentiles of the records seen so far (each stage's newest {@link StageLatency#SAMPLES_PER_STAGE}). */
    public synchronized Map<String, StageLatency.Percentiles> latency() {
        return latency.percentiles();
    }

    /**
     * What breaks "every trajectory once, with exactly one counterfactual per masked agent (every seat masked in the
     * run) and one advantage per agent (every seat credited in the run, and at least one of each of {@code roles})";
     * a seat is role/agentId, since a VOTING team has several agents of one role: ids seen more than once, trajectories lacking some, records of unknown
     * trajectories; and weights versions of a role that did not strictly increase. Empty when the run was whole.
     */
    public synchronized List<String> endToEndProblems(List<String> roles) {
        rethrow();
        List<String> problems = new ArrayList<>(weightsProblems);
        java.util.Set<String> maskedSeats = new java.util.TreeSet<>(), creditedSeats = new java.util.TreeSet<>();
        counterfactualSeats.values().forEach(seats -> maskedSeats.addAll(seats.keySet()));
        advantageSeats.values().forEach(seats -> creditedSeats.addAll(seats.keySet()));
        trajectoryIds.forEach((id, n) -> { if (n != 1) problems.add("trajectory " + id + " seen " + n + " times"); });
        counterfactualSeats.forEach((id, seats) -> seats.forEach((seat, n) -> {
            if (n != 1) problems.add("counterfactual " + id + "/" + seat + " seen " + n + " times");
        }));
        advantageSeats.forEach((id, seats) -> seats.forEach((seat, n) -> {
            if (n != 1) problems.add("advantage " + id + "/" + seat + " seen " + n + " times");
        }));
        for (String id : trajectoryIds.keySet()) {
            Map<String, Integer> cf = counterfactualSeats.getOrDefault(id, Map.of()), adv = advantageSeats.getOrDefault(id, Map.of());
            for (String m : maskedSeats) if (!cf.containsKey(m)) problems.add("no counterfactual " + id + "/" + m);
            for (String seat : creditedSeats) if (!adv.containsKey(seat)) problems.add("no advantage " + id + "/" + seat);
            for (String role : roles) {
                if (adv.keySet().stream().noneMatch(seat -> seat.startsWith(role + "/"))) problems.add("no advantage " + id + "/" + role);
            }
        }
        for (String id : counterfactualSeats.keySet())
            if (!trajectoryIds.containsKey(id)) problems.add("counterfactuals of an unknown trajectory: " + id);
        for (String id : advantageSeats.keySet())
            if (!trajectoryIds.containsKey(id)) problems.add("advantages of an unknown trajectory: " + id);
        return problems;
    }

    /** Highest policy version each worker (generator or counterfactual instance) has used. */
    public synchronized Map<String, Long> workerVersions() {
        return new TreeMap<>(workerVersions);
    }

    private void rethrow() {
        if (failure != null) throw new IllegalStateException("pipeline monitor failed: " + failure, failure);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
