package dev.ccpo.weights;

import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows the weights topic from its beginning on a background thread (no consumer group: every
 * worker reads every version), reassembles and verifies blobs, and keeps the newest per role.
 * Workers call {@link #newerThan} between episodes, never mid-episode, and swap if it returns one.
 */
public final class WeightsFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WeightsFollower.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final AvroSerde<PolicyWeights> serde;
    private final WeightsAssembler assembler;
    private final Map<String, WeightsBlob> newest = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Object versionChanged = new Object();
    private volatile long latestVersion = -1;
    private volatile long malformed;
    private volatile boolean running = true;

    public WeightsFollower(Map<String, Object> kafkaProps, String topic, AvroSerde<PolicyWeights> serde, String modelId, String clientId) {
        Map<String, Object> props = readerProps(kafkaProps);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-weights");
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.serde = serde;
        this.assembler = new WeightsAssembler(modelId);
        this.thread = new Thread(this::run, clientId + "-weights-follower");
        this.thread.setDaemon(true);
    }

    public WeightsFollower start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) handle(r);
            }
        } catch (WakeupException e) {
            if (running) throw e;
        } catch (RuntimeException e) {
            log.error("weights follower on {} stopped: {}", topic, e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r) {
        PolicyWeights w;
        try {
            w = serde.deserialize(topic, r.value());
        } catch (RuntimeException e) {
            malformed++;
            log.error("skipping unreadable weights record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            return;
        }
        if (w == null) return;
        assembler.accept(w).ifPresent(blob -> {
            newest.merge(blob.role(), blob, (old, neu) -> neu.policyVersion() > old.policyVersion() ? neu : old);
            synchronized (versionChanged) {
                latestVersion = Math.max(latestVersion, blob.policyVersion());
                versionChanged.notifyAll();
            }
            log.info("weights {}/{} v{} ready ({} bytes)", blob.modelId(), blob.role(), blob.policyVersion(), blob.bytes().length);
        });
    }

    /** The newest verified weights for the role if newer than the version the caller has. */
    public Optional<WeightsBlob> newerThan(String role, long currentVersion) {
        WeightsBlob b = newest.get(role);
        return b != null && b.policyVersion() > currentVersion ? Optional.of(b) : Optional.empty();
    }

    /** Highest policy version completed for any role; -1 before the first. */
    public long latestVersion() { return latestVersion; }

    /** Waits until some role reaches at least the version, or the timeout passes; returns the latest version. */
    public long awaitVersion(long atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (versionChanged) {
            while (latestVersion < atLeast && running) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                versionChanged.wait(Math.max(1, left / 1_000_000));
            }
            return latestVersion;
        }
    }

    /**
     * The highest policy version of {@code modelId} committed on the weights topic (read_committed, from the
     * beginning to the current end), or -1: a restarted learner numbers on from it, so that a version number
     * is never published twice with other weights.
     */
    public static long latestPublished(Map<String, Object> kafkaProps, String topic, AvroSerde<PolicyWeights> serde, String modelId,
                                       Duration timeout) {
        Map<String, Object> props = readerProps(kafkaProps);
        long latest = -1;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(topic, timeout).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions, timeout);
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("timed out reading " + topic + " up to " + end + " for the latest published weights");
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    PolicyWeights w;
                    try {
                        w = serde.deserialize(topic, r.value());
                    } catch (RuntimeException e) {
                        continue; // unreadable: not a version anybody could have used
                    }
                    if (w != null && w.getModelId().toString().equals(modelId)) latest = Math.max(latest, w.getPolicyVersion());
                }
            }
        }
        return latest;
    }

    /** A groupless read_committed reader of whole weight chunks: every reader sees every version. */
    private static Map<String, Object> readerProps(Map<String, Object> kafkaProps) {
        Map<String, Object> props = new HashMap<>(kafkaProps);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return props;
    }

    /** Weight sets refused (bad sha256, size, model id) plus records that could not be read. */
    public long refused() { return assembler.rejected() + malformed; }

    @Override
    public void close() {
        running = false;
        synchronized (versionChanged) { versionChanged.notifyAll(); }
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
