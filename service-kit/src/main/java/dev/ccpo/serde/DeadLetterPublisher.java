package dev.ccpo.serde;

import dev.ccpo.avro.DeadLetter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.Future;

/**
 * Sends records a service cannot process to the dead-letter topic, keyed by their original key,
 * with the reason and the original bytes, so nothing is dropped silently. Uses the service's own
 * byte-array producer (so it shares its transaction or idempotence settings) and logs every one.
 */
public final class DeadLetterPublisher {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final AvroSerde<DeadLetter> serde;
    private final String topic;
    private final String service;

    public DeadLetterPublisher(Producer<byte[], byte[]> producer, AvroSerde<DeadLetter> serde, String topic, String service) {
        this.producer = producer;
        this.serde = serde;
        this.topic = topic;
        this.service = service;
    }

    public Future<RecordMetadata> publish(ConsumerRecord<byte[], byte[]> record, String reason, Throwable error) {
        return publish(record.topic(), record.partition(), record.offset(), record.key(), record.value(), reason,
                error == null ? "Rejected" : error.getClass().getName());
    }

    public Future<RecordMetadata> publish(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                          String reason, String errorClass) {
        log.warn("dead-lettering {}-{}@{} to {}: {}", sourceTopic, partition, offset, topic, reason);
        DeadLetter letter = of(sourceTopic, partition, offset, key, value, reason, errorClass, service);
        return producer.send(new ProducerRecord<>(topic, key, serde.serialize(topic, letter)));
    }

    /** The DeadLetter record itself, for callers that produce it another way (e.g. from Kafka Streams). */
    public static DeadLetter of(String sourceTopic, int partition, long offset, byte[] key, byte[] value,
                                String reason, String errorClass, String service) {
        return DeadLetter.newBuilder()
                .setSourceTopic(sourceTopic)
                .setPartition(partition)
                .setOffset(offset)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setReason(reason)
                .setErrorClass(errorClass)
                .setService(service)
                .setFailedAtMs(Instant.now())
                .build();
    }
}
