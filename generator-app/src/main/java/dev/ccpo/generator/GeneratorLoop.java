package dev.ccpo.generator;

import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.cli.Progress;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The generator's main loop: between groups swap to newer weights and respect bounded staleness,
 * then roll out one group and send its G trajectories keyed by groupId (so a group stays in one
 * partition and in order). {@link #stop()} lets the group in progress finish; then everything is flushed.
 */
public final class GeneratorLoop {

    /** Published policy versions; normally the WeightsFollower. Null-free: use {@link #NONE} without a weights topic. */
    public interface VersionSource extends RolePolicies.NewerWeights {
        long latestVersion();
        long awaitVersion(long atLeast, Duration timeout) throws InterruptedException;
        /** Weight sets refused so far (bad sha256, size or model id): shown on the progress line. */
        default long refused() { return 0; }
    }

    /** No weights topic: the base model forever, staleness not enforced. */
    public static final VersionSource NONE = new VersionSource() {
        public Optional<dev.ccpo.weights.WeightsBlob> newerThan(String role, long v) { return Optional.empty(); }
        public long latestVersion() { return Long.MAX_VALUE / 4; }
        public long awaitVersion(long atLeast, Duration t) { return latestVersion(); }
    };

    private final TaskSource source;
    private final GroupGenerator generator;
    private final RolePolicies<ChatModel> policies;
    private final VersionSource versions;
    private final Producer<byte[], byte[]> producer;
    private final AvroSerde<Trajectory> serde;
    private final String topic;
    private final int groupsPerVersion;
    private final int maxPolicyLag;
    private final Progress progress;
    private volatile boolean running = true;
    /** The first send that failed after the producer's own retries (set on the producer's I/O thread). */
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();

    private long groups;
    private long rejected;
    private long trajectories;
    private long tokens;
    private double rewardSum;
    private String waiting = "";
    private long waitedNanos;  // spent waiting for the staleness bound, shown on the progress line

    public GeneratorLoop(TaskSource source, GroupGenerator generator, RolePolicies<ChatModel> policies, VersionSource versions,
                         Producer<byte[], byte[]> producer, AvroSerde<Trajectory> serde, String topic,
                         int groupsPerVersion, int maxPolicyLag, Progress progress) {
        this.source = source;
        this.generator = generator;
        this.policies = policies;
        this.versions = versions;
        this.producer = producer;
        this.serde = serde;
        this.topic = topic;
        this.groupsPerVersion = groupsPerVersion;
        this.maxPolicyLag = maxPolicyLag;
        this.progress = progress;
    }

    public void stop() { running = false; }

    public long groups() { return groups; }

    public long trajectories() { return trajectories; }

    public long tokens() { return tokens; }

    /** Tasks whose roll-out threw: dead-lettered (topic source) or logged (list source), never retried. */
    public long rejected() { return rejected; }

    /** Runs until the source is exhausted or {@link #stop()}; returns the number of groups produced. */
    public long run() throws InterruptedException {
        long start = System.nanoTime();
        while (running && source.hasMore()) {
            requireSent();
            if (!withinStaleness()) continue;
            Optional<TaskSource.Next> next = source.next();
            if (next.isEmpty()) continue;
            // Swap after the (possibly long) wait for a task, right before the group starts: the group uses the
            // newest verified weights of that moment, and never changes them midway.
            policies.refresh(versions);
            Map<String, ChatModel> models = new LinkedHashMap<>();
            for (String role : policies.roles()) models.put(role, policies.current(role).model());
            long version = policies.version();
            List<Trajectory> group;
            try {
                group = generator.generate(next.get().task(), next.get().epoch(), models, version);
            } catch (RuntimeException e) {
                // A poison pill (a prompt over max.prompt.tokens, a call over generation.time.limit.ms, anything the
                // roll-out throws on): dead-lettered and committed past, never retried in a crash loop.
                rejected++;
                source.reject(next.get(), e.toString(), e);
                group = List.of();
            }
            for (Trajectory t : group) {
                producer.send(new ProducerRecord<>(topic, t.getGroupId().getBytes(StandardCharsets.UTF_8), serde.serialize(topic, t)),
                        (metadata, e) -> { if (e != null) sendFailure.compareAndSet(null, e); });
                trajectories++;
                rewardSum += t.getReward();
                for (Turn turn : t.getTurns()) tokens += turn.getOutputTokenIds().size();
            }
            if (!group.isEmpty()) groups++;
            if (source instanceof TopicTaskSource ts) {
                producer.flush(); // the group is durable before its task offset is committed
                requireSent();
                ts.commit();
            }
            double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            long refused = versions.refused() + policies.refused();
            progress.update(groups, String.format("%.2f groups/s, %.0f tok/s, mean reward %.3f, policy v%d%s%s%s",
                    groups / secs, tokens / secs, rewardSum / Math.max(1, trajectories), version,
                    refused > 0 ? ", " + refused + " weight sets refused" : "", waiting,
                    waitedNanos > 0 ? String.format(", waited for policies %.1f s (%.0f%% of the run)", waitedNanos / 1e9,
                            100 * waitedNanos / 1e9 / secs) : "")
                    + (rejected > 0 ? ", " + rejected + " tasks dead-lettered" : ""));
        }
        producer.flush();
        requireSent();
        return groups;
    }

    /**
     * Fails the loop when a trajectory could not be written even after the producer's retries (delivery.timeout.ms):
     * flush() returns either way, and a group that is not on the topic must not have its task committed.
     */
    private void requireSent() {
        Exception e = sendFailure.get();
        if (e != null)
            throw new IllegalStateException("a trajectory could not be written to " + topic + " (" + e + "); the task in "
                    + "progress is not committed, so a restarted generator rolls it out again", e);
    }

    /** Data version = groups / groups.per.version may exceed the latest published version by max.policy.lag at most. */
    private boolean withinStaleness() throws InterruptedException {
        long dataVersion = groups / groupsPerVersion;
        long published = Math.max(versions.latestVersion(), 0);
        if (dataVersion <= published + maxPolicyLag) {
            waiting = "";
            return true;
        }
        waiting = ", WAITING for policy v" + (dataVersion - maxPolicyLag) + " (have v" + published + ")";
        progress.update(groups, waiting.substring(2));
        long t0 = System.nanoTime();
        versions.awaitVersion(dataVersion - maxPolicyLag, Duration.ofSeconds(1));
        waitedNanos += System.nanoTime() - t0;
        return false;
    }
}
