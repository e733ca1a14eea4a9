package dev.ccpo.infra.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Persists registry events in a single-partition compacted topic (one partition keeps the order
 * of events; keys make compaction keep the latest config and every schema version).
 */
final class KafkaSchemaJournal implements AutoCloseable {
    private final String topic;
    private final Map<String, Object> clientProps;
    private final String bootstrap;
    private final KafkaProducer<String, String> producer;

    private KafkaSchemaJournal(Map<String, Object> clientProps, String topic) {
        this.clientProps = Map.copyOf(clientProps);
        this.bootstrap = String.valueOf(clientProps.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
        this.topic = topic;
        this.producer = new KafkaProducer<>(with(clientProps, Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)),
                new StringSerializer(), new StringSerializer());
    }

    /** @param clientProps bootstrap.servers plus any client settings (security) the cluster needs */
    static KafkaSchemaJournal open(Map<String, Object> clientProps, String topic) {
        String bootstrap = String.valueOf(clientProps.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
        try (Admin admin = Admin.create(clientProps)) {
            // the broker's default.replication.factor: every broker of a local cluster, as many as the operator set on a real one
            admin.createTopics(List.of(new NewTopic(topic, java.util.Optional.of(1), java.util.Optional.empty()).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException))
                throw new IllegalStateException("cannot create the registry topic " + topic + " on " + bootstrap + ": " + e.getCause(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the registry topic " + topic + " on " + bootstrap + ": " + e, e);
        }
        return new KafkaSchemaJournal(clientProps, topic);
    }

    private static Map<String, Object> with(Map<String, Object> base, Map<String, Object> extra) {
        Map<String, Object> m = new java.util.HashMap<>(base);
        m.putAll(extra);
        return m;
    }

    /** Writes the event and waits for the broker's acknowledgement, so a registered id is durable. */
    void append(ObjectNode event) {
        String key = event.get("type").asText() + ":" + event.path("subject").asText("") + ":" + event.path("version").asText("");
        try {
            producer.send(new ProducerRecord<>(topic, key, event.toString())).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write to the registry topic " + topic + ": " + e, e);
        }
    }

    /** Reads the topic from the beginning to its current end and applies every event. */
    void replayInto(SchemaStore store) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(with(clientProps, Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            long deadline = System.currentTimeMillis() + 60_000;
            while (consumer.position(tp) < end) {
                if (System.currentTimeMillis() > deadline)
                    throw new IllegalStateException("timed out reading the registry topic " + topic + " up to offset " + end);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) continue;
                    try {
                        store.apply((ObjectNode) SchemaStore.JSON.readTree(r.value()));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException("corrupt registry event at " + topic + " offset " + r.offset() + ": " + r.value(), e);
                    }
                }
            }
        }
    }

    @Override
    public void close() { producer.close(Duration.ofSeconds(5)); }
}
