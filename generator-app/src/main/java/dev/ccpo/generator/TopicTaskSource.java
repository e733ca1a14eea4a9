package dev.ccpo.generator;

import dev.ccpo.avro.Task;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tasks from the tasks topic, consumer group {@code ccpo-generator} (generators split its partitions).
 * Offsets are committed by {@link #commit()} after the group of the task was sent and flushed: a
 * crash redoes at most the in-flight task, with the same deterministic groupId (epoch 0).
 * Undecodable task records are logged and counted, never silently skipped.
 */
public final class TopicTaskSource implements TaskSource {
    private static final Logger log = LoggerFactory.getLogger(TopicTaskSource.class);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroSerde<Task> serde;
    private final Deque<ConsumerRecord<byte[], byte[]>> buffered = new ArrayDeque<>();
    private long undecodable;

    public TopicTaskSource(Map<String, Object> kafkaProps, String topic, AvroSerde<Task> serde, String clientId) {
        Map<String, Object> c = new HashMap<>(kafkaProps);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "ccpo-generator");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-tasks");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 16);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.serde = serde;
        consumer.subscribe(List.of(topic));
    }

    @Override
    public Optional<Next> next() {
        while (true) {
            if (buffered.isEmpty()) consumer.poll(Duration.ofMillis(500)).forEach(buffered::add);
            ConsumerRecord<byte[], byte[]> r = buffered.pollFirst();
            if (r == null) return Optional.empty();
            try {
                Task t = serde.deserializer().deserialize(r.topic(), r.value());
                if (t == null) throw new IllegalArgumentException("null task (tombstone)");
                return Optional.of(new Next(Tasks.fromAvro(t), 0));
            } catch (RuntimeException e) {
                undecodable++;
                log.error("skipping undecodable task at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
            }
        }
    }

    /** Commits what was consumed so far (call after the produced groups were flushed). */
    public void commit() {
        if (buffered.isEmpty()) consumer.commitSync();
        // With records still buffered the next poll position is ahead of them: committing it would skip
        // them on a crash, so commit waits until the buffer drains (at most max.poll.records tasks).
    }

    public long undecodable() { return undecodable; }

    @Override
    public boolean hasMore() { return true; }

    @Override
    public void close() { consumer.close(Duration.ofSeconds(5)); }
}
