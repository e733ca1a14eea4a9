package dev.ccpo.infra;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.serde.RecordSerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Produces and consumes one record of every Avro type through the registry serdes on its
 * topic of docs/contract.md, and checks that the consumed record equals the produced one.
 */
public final class Smoke {
    /** One round trip: the type, its topic, the registry id in the wire header, and whether it matched. */
    public record Result(String type, String topic, int schemaId, boolean equal, String detail) {
        public String line() {
            return (equal ? "OK   " : "FAIL ") + type + " topic=" + topic + " schemaId=" + schemaId + (detail.isEmpty() ? "" : " " + detail);
        }
    }

    private record Case<T extends SpecificRecord>(String topicKey, AvroSerde<T> serde, T record) { }

    private Smoke() { }

    public static List<Result> run(Config config) {
        RecordSerdes serdes = RecordSerdes.fromConfig(config);
        List<Case<?>> cases = List.of(
                new Case<>(CommonKeys.TOPIC_TASKS, serdes.task(), SampleRecords.task()),
                new Case<>(CommonKeys.TOPIC_TRAJECTORIES, serdes.trajectory(), SampleRecords.trajectory()),
                new Case<>(CommonKeys.TOPIC_COUNTERFACTUALS, serdes.counterfactual(), SampleRecords.counterfactual()),
                new Case<>(CommonKeys.TOPIC_ROLLOUT_STATS, serdes.rolloutStats(), SampleRecords.rolloutStats()),
                new Case<>(CommonKeys.TOPIC_ADVANTAGES, serdes.advantage(), SampleRecords.advantage()),
                new Case<>(CommonKeys.TOPIC_WEIGHTS, serdes.weights(), SampleRecords.weights()),
                new Case<>(CommonKeys.TOPIC_DLQ, serdes.deadLetter(), SampleRecords.deadLetter()));
        Map<String, Object> props = new HashMap<>(config.kafkaClientProperties());
        List<Result> results = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(withProducer(props), new StringSerializer(), new ByteArraySerializer());
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(withConsumer(props), new StringDeserializer(), new ByteArrayDeserializer())) {
            for (Case<?> c : cases) results.add(roundTrip(config, producer, consumer, c));
        }
        return results;
    }

    private static <T extends SpecificRecord> Result roundTrip(Config config, KafkaProducer<String, byte[]> producer,
                                                               KafkaConsumer<String, byte[]> consumer, Case<T> c) {
        String topic = config.string(c.topicKey());
        String type = c.record().getSchema().getName();
        byte[] bytes = c.serde().serialize(topic, c.record());
        int schemaId = java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt();
        RecordMetadata md;
        try {
            md = producer.send(new ProducerRecord<>(topic, "smoke-" + type, bytes)).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            return new Result(type, topic, schemaId, false, "produce failed: " + e);
        }
        TopicPartition tp = new TopicPartition(topic, md.partition());
        consumer.assign(List.of(tp));
        consumer.seek(tp, md.offset());
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                if (r.offset() != md.offset()) continue;
                T back = c.serde().deserialize(topic, r.value());
                boolean equal = c.record().equals(back);
                return new Result(type, topic, schemaId, equal, equal ? "" : "consumed record differs: " + back);
            }
        }
        return new Result(type, topic, schemaId, false, "record at " + tp + "@" + md.offset() + " not consumed within 30 s");
    }

    private static Map<String, Object> withProducer(Map<String, Object> props) {
        Map<String, Object> p = new HashMap<>(props);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8388608);
        return p;
    }

    private static Map<String, Object> withConsumer(Map<String, Object> props) {
        Map<String, Object> p = new HashMap<>(props);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }
}
