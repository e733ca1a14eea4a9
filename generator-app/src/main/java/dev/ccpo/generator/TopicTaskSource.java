package dev.ccpo.generator;

import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.Task;
import dev.ccpo.kit.WireMapping;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.serde.DeadLetterPublisher;
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
 * A task record that cannot be decoded or is invalid (blank id/question/reference, CHOICE without
 * choices) goes to the dead-letter topic with the reason and its original bytes, on the generator's
 * own producer: the loop flushes that producer before committing, so the dead letter is durable
 * before the offset that skips the record.
 */
public final class TopicTaskSource implements TaskSource {
    private static final Logger log = LoggerFactory.getLogger(TopicTaskSource.class);
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroSerde<Task> serde;
    private final DeadLetterPublisher dlq;
    private final Deque<ConsumerRecord<byte[], byte[]>> buffered = new ArrayDeque<>();
    private ConsumerRecord<byte[], byte[]> current; // the record of the task last returned by next()
    private volatile long deadLettered; // one writer (the loop thread); read by progress and tests

    public TopicTaskSource(Map<String, Object> kafkaProps, String topic, AvroSerde<Task> serde, DeadLetterPublisher dlq, String clientId) {
        Map<String, Object> c = new HashMap<>(kafkaProps);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "ccpo-generator");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-tasks");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 16);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.serde = serde;
        this.dlq = dlq;
        consumer.subscribe(List.of(topic));
    }

    @Override
    public Optional<Next> next() {
        while (true) {
            if (buffered.isEmpty()) consumer.poll(Duration.ofMillis(500)).forEach(buffered::add);
            ConsumerRecord<byte[], byte[]> r = buffered.pollFirst();
            if (r == null) return Optional.empty();
            Task t;
            try {
                t = serde.deserializer().deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                deadLetter(r, "undecodable task: " + e.getMessage(), e);
                continue;
            }
            String invalid = invalidReason(t);
            if (invalid != null) {
                deadLetter(r, "invalid task: " + invalid, null);
                continue;
            }
            current = r;
            return Optional.of(new Next(WireMapping.fromWire(t), 0));
        }
    }

    /** Dead-letters the record of the task last returned (its roll-out threw): the loop then commits past it. */
    @Override
    public void reject(Next task, String reason, Throwable cause) {
        if (current == null) throw new IllegalStateException("reject() without a current task");
        deadLetter(current, "task " + task.task().taskId() + " could not be rolled out: " + reason, cause);
        current = null;
    }

    /** Commits what was consumed so far (call after the produced groups were flushed). */
    public void commit() {
        if (buffered.isEmpty()) consumer.commitSync();
        // With records still buffered the next poll position is ahead of them: committing it would skip
        // them on a crash, so commit waits until the buffer drains (at most max.poll.records tasks).
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason, Throwable e) {
        deadLettered++;
        log.error("task at {}-{}@{} refused: {}", r.topic(), r.partition(), r.offset(), reason);
        dlq.publish(r, reason, e);
    }

    /** Why a decoded task cannot be rolled out, or null when it can. */
    static String invalidReason(Task t) {
        if (t == null) return "null value (tombstone)";
        if (t.getTaskId() == null || t.getTaskId().toString().isBlank()) return "taskId is blank";
        if (t.getQuestion() == null || t.getQuestion().toString().isBlank()) return "question is blank (taskId " + t.getTaskId() + ")";
        if (t.getReferenceAnswer() == null || t.getReferenceAnswer().toString().isBlank())
            return "referenceAnswer is blank (taskId " + t.getTaskId() + ")";
        if (t.getAnswerKind() == AnswerKind.CHOICE && (t.getChoices() == null || t.getChoices().isEmpty()))
            return "answerKind CHOICE without choices (taskId " + t.getTaskId() + ")";
        return null;
    }

    /** Task records sent to the dead-letter topic (undecodable or invalid). */
    public long deadLettered() { return deadLettered; }

    @Override
    public boolean hasMore() { return true; }

    @Override
    public void close() { consumer.close(Duration.ofSeconds(5)); }
}
