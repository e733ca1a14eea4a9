package dev.ccpo.analytics;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * The analytics app's own consumer: its own group, from the earliest offsets, read_committed, never
 * committing (memory starts empty on every start, so it must re-read everything anyway). Each record is
 * decoded with RecordSerdes and folded into the Aggregates; one that cannot be decoded is counted and
 * logged with its position, and reading goes on.
 */
final class TopicReader implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicReader.class);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, ObjLongConsumer<byte[]>> handlers = new LinkedHashMap<>();
    private final Aggregates aggregates;
    private volatile boolean running = true;
    private volatile long consumed;

    TopicReader(Config config, String groupId, RecordSerdes serdes, Aggregates aggregates) {
        this.aggregates = aggregates;
        String traj = config.string(CommonKeys.TOPIC_TRAJECTORIES);
        String adv = config.string(CommonKeys.TOPIC_ADVANTAGES);
        String stats = config.string(CommonKeys.TOPIC_ROLLOUT_STATS);
        String weights = config.string(CommonKeys.TOPIC_WEIGHTS);
        String cf = config.string(CommonKeys.TOPIC_COUNTERFACTUALS);
        handlers.put(traj, (b, seenAt) -> aggregates.onTrajectory(serdes.trajectory().deserialize(traj, b), seenAt));
        handlers.put(adv, (b, seenAt) -> aggregates.onAdvantage(serdes.advantage().deserialize(adv, b), seenAt));
        handlers.put(stats, (b, seenAt) -> aggregates.onRolloutStats(serdes.rolloutStats().deserialize(stats, b)));
        handlers.put(weights, (b, seenAt) -> aggregates.onWeights(serdes.weights().deserialize(weights, b), seenAt));
        handlers.put(cf, (b, seenAt) -> aggregates.onCounterfactual(serdes.counterfactual().deserialize(cf, b), seenAt));

        Map<String, Object> p = new HashMap<>(config.kafkaClientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);  // weights chunks
        p.putIfAbsent(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5000);  // notice topics created after start
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    long consumed() { return consumed; }

    @Override
    public void run() {
        try {
            consumer.subscribe(handlers.keySet());
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                    consumed++;
                    long seenAt = System.currentTimeMillis();  // when this consumer first sees it: the per-stage latency's clock
                    aggregates.onRecord(r.topic(), r.timestamp(), seenAt);
                    if (r.value() == null) continue;  // tombstone (compacted weights): nothing to add
                    try {
                        handlers.get(r.topic()).accept(r.value(), seenAt);
                    } catch (RuntimeException e) {
                        aggregates.onError(r.topic(), e.getMessage());
                        LOG.warn("cannot decode {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) throw e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }
}
