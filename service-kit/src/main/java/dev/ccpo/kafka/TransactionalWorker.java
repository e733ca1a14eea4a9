package dev.ccpo.kafka;

import dev.ccpo.serde.AvroSerde;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.serde.DeadLetterPublisher;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exactly-once consume-transform-produce: each polled batch is handled inside one producer
 * transaction that also carries the consumed offsets (KIP-447), so a worker killed mid-batch
 * leaves nothing visible to read_committed consumers and its replacement redoes the batch.
 * Records that cannot be deserialized, that the handler rejects, or whose handling throws (a poison
 * pill) go to the dead-letter topic inside the same transaction, so their offsets are committed and a
 * restart never meets them again. A failure outside the handler (Kafka, the transaction) aborts the
 * batch and stops the worker loudly (the process exits non-zero; a restart resumes from the last committed batch).
 * The handler gets the decoded records of a poll together, so that it can batch their work.
 */
public final class TransactionalWorker<I> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionalWorker.class);

    /**
     * Turns the decoded inputs of one poll into one {@link Result} per input, in order, so that their work can be
     * batched. A failed input (RejectedRecordException: invalid) is dead-lettered alone. If the call throws as a
     * whole, the worker calls it again with each input alone, so only an input that fails by itself is dead-lettered.
     */
    @FunctionalInterface
    public interface Handler<I> {
        List<Result> handle(List<I> inputs);
    }

    /** What one input became: its output records, or the exception that dead-letters it. */
    public record Result(List<ProducerRecord<byte[], byte[]>> outputs, RuntimeException failure) {
        public static Result of(List<ProducerRecord<byte[], byte[]>> outputs) { return new Result(List.copyOf(outputs), null); }

        public static Result failed(RuntimeException failure) { return new Result(List.of(), failure); }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final DeadLetterPublisher deadLetters;
    private final String inputTopic;
    private final Deserializer<I> deserializer;
    private final Handler<I> handler;
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong produced = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile boolean running = true;

    /**
     * @param kafkaProps    common client settings (bootstrap servers, security)
     * @param groupId       consumer group: instances with the same id split the partitions
     * @param instanceId    unique per running instance; names its transactional id
     * @param maxPollRecords records per transaction; keep a batch's work well under transaction.timeout.ms
     */
    public TransactionalWorker(Map<String, Object> kafkaProps, String groupId, String instanceId, String inputTopic,
                               Deserializer<I> deserializer, Handler<I> handler, String dlqTopic, AvroSerde<DeadLetter> dlqSerde,
                               int maxPollRecords, int transactionTimeoutMs) {
        Map<String, Object> c = new HashMap<>(kafkaProps);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, instanceId + "-consumer");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        Map<String, Object> p = new HashMap<>(kafkaProps);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, instanceId + "-producer");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, groupId + "-" + instanceId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, transactionTimeoutMs);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.deadLetters = new DeadLetterPublisher(producer, dlqSerde, dlqTopic, groupId);
        this.inputTopic = inputTopic;
        this.deserializer = deserializer;
        this.handler = handler;
    }

    /** Runs until {@link #stop()}; the batch in progress is finished and committed first. */
    public void run() {
        producer.initTransactions();
        consumer.subscribe(List.of(inputTopic));
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(Duration.ofMillis(500));
                } catch (WakeupException e) {
                    continue; // stop() woke us: the loop condition decides
                }
                if (records.isEmpty()) continue;
                processBatch(records);
            }
        } finally {
            consumer.close(Duration.ofSeconds(10));
            producer.close(Duration.ofSeconds(10));
        }
    }

    private void processBatch(ConsumerRecords<byte[], byte[]> records) {
        producer.beginTransaction();
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            List<ConsumerRecord<byte[], byte[]>> raws = new ArrayList<>();
            List<I> inputs = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> raw : records) {
                processed.incrementAndGet();
                offsets.put(new TopicPartition(raw.topic(), raw.partition()), new OffsetAndMetadata(raw.offset() + 1));
                I input;
                try {
                    input = deserializer.deserialize(raw.topic(), raw.value());
                    if (input == null) throw new RejectedRecordException("null value (tombstone) where a record was expected");
                } catch (RuntimeException e) {
                    deadLetter(raw, "undecodable record: " + e.getMessage(), e);
                    continue;
                }
                raws.add(raw);
                inputs.add(input);
            }
            List<Result> results = inputs.isEmpty() ? List.<Result>of() : handleIsolated(handler, inputs);
            for (int i = 0; i < results.size(); i++) publish(raws.get(i), results.get(i));
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            producer.commitTransaction();
        } catch (RuntimeException e) {
            log.error("batch of {} records from {} failed; aborting its transaction and stopping: {}", records.count(), inputTopic, e.toString(), e);
            try {
                producer.abortTransaction();
            } catch (RuntimeException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            running = false;
            throw e;
        }
    }

    /**
     * What the worker makes of a poll's inputs: the handler's results; when it throws for several inputs, theirs one at
     * a time, so that a poison pill fails alone and the others are still produced.
     */
    public static <I> List<Result> handleIsolated(Handler<I> handler, List<I> inputs) {
        try {
            List<Result> results = handler.handle(inputs);
            if (results == null || results.size() != inputs.size())
                throw new IllegalStateException("handler returned " + (results == null ? "null" : results.size())
                        + " results for " + inputs.size() + " inputs");
            return results;
        } catch (RuntimeException e) {
            if (inputs.size() == 1) return List.of(Result.failed(e));
            log.warn("handling {} records together threw ({}); handling them one at a time", inputs.size(), e.toString());
            List<Result> results = new ArrayList<>(inputs.size());
            for (I input : inputs) results.add(handleIsolated(handler, List.of(input)).get(0));
            return results;
        }
    }

    private void publish(ConsumerRecord<byte[], byte[]> raw, Result result) {
        RuntimeException e = result.failure();
        if (e instanceof RejectedRecordException) {
            deadLetter(raw, e.getMessage(), e);
        } else if (e != null) {
            // A poison pill: processing this one record threw (a prompt over the limit, a call over its time limit,
            // a model error). Dead-lettered and committed with the batch, so a restart never meets it again.
            log.error("processing {}-{}@{} threw; dead-lettering it: {}", raw.topic(), raw.partition(), raw.offset(), e.toString(), e);
            deadLetter(raw, "processing failed: " + e, e);
        } else {
            for (ProducerRecord<byte[], byte[]> out : result.outputs()) producer.send(out);
            produced.addAndGet(result.outputs().size());
        }
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> raw, String reason, Throwable e) {
        deadLettered.incrementAndGet();
        deadLetters.publish(raw, reason, e);
    }

    public long processed() { return processed.get(); }

    public long produced() { return produced.get(); }

    public long deadLettered() { return deadLettered.get(); }

    /** Asks the loop to finish its current batch and return. Safe from any thread (e.g. a shutdown hook). */
    public void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void close() { stop(); }
}
