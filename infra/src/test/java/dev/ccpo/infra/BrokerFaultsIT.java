package dev.ccpo.infra;

import dev.ccpo.avro.Task;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.infra.registry.SchemaRegistryServer;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import org.junit.jupiter.api.Test;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Registry persistence in _schemas, the broker surviving stop/start and kill -9 on the same ports and data, and a
 * three-broker cluster keeping every acknowledged record when a partition's leader is killed.
 */
class BrokerFaultsIT {

    @Test
    void registryRestartReadsSchemasBackFromKafka() {
        try (LocalCluster cluster = LocalCluster.start()) {
            int taskId = new HttpSchemaRegistryClient(cluster.registryUrl()).register("ccpo.tasks-value", Task.getClassSchema());
            int trajId = new HttpSchemaRegistryClient(cluster.registryUrl()).register("ccpo.trajectories-value", Trajectory.getClassSchema());
            cluster.registry().store().setCompatibility("ccpo.tasks-value", "FULL");
            try (SchemaRegistryServer second = SchemaRegistryServer.kafkaBacked(cluster.bootstrapServers(), LocalCluster.SCHEMAS_TOPIC,
                    "127.0.0.1", 0, null)) {
                HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(second.url());
                assertEquals(Task.getClassSchema(), client.schemaById(taskId));
                assertEquals(Trajectory.getClassSchema(), client.schemaById(trajId));
                assertEquals(taskId, client.register("ccpo.tasks-value", Task.getClassSchema()), "same id after restart");
                assertEquals("FULL", second.store().compatibilityOf("ccpo.tasks-value"));
                assertEquals(List.of("ccpo.tasks-value", "ccpo.trajectories-value"), second.store().subjects());
            }
        }
    }

    @Test
    void brokerStopStartAndKillKeepData() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            String bootstrap = cluster.bootstrapServers();
            assertTrue(Smoke.run(cluster.config("faults")).stream().allMatch(Smoke.Result::equal));
            cluster.stopBroker();
            assertFalse(cluster.brokerAlive());
            cluster.startBroker();
            assertEveryPartitionLed(cluster);
            assertEquals(bootstrap, cluster.bootstrapServers(), "same port after restart");
            assertTrue(Smoke.run(cluster.config("faults")).stream().allMatch(Smoke.Result::equal), "round trip after clean restart");
            cluster.killBroker();
            assertFalse(cluster.brokerAlive());
            cluster.startBroker();
            assertEveryPartitionLed(cluster);
            List<Smoke.Result> after = Smoke.run(cluster.config("faults"));
            for (Smoke.Result r : after) assertTrue(r.equal(), "after kill -9: " + r.line());
        }
    }

    @Test
    void threeBrokersKeepEveryAcknowledgedRecordWhenTheLeaderIsKilled() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(3)) {
            String topic = "ccpo.trajectories";
            try (Admin admin = Admin.create(cluster.kafkaProps())) {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
                d.partitions().forEach(p -> assertEquals(3, p.replicas().size(), "three replicas of " + p));
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                assertEquals("2", admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r).get("min.insync.replicas").value());
                int leader = d.partitions().get(0).leader().id();
                Set<String> acked = new HashSet<>(produce(cluster, topic, "before-", 500));
                cluster.killBroker(leader);
                acked.addAll(produce(cluster, topic, "during-", 500)); // two of three in sync: writes go on
                cluster.startBroker(leader);
                acked.addAll(produce(cluster, topic, "after-", 500));
                assertEquals(1500, acked.size());
                assertEquals(acked, readAll(cluster, topic, 1500), "every acknowledged record once, none other");
            }
        }
    }

    /**
     * LocalCluster's readiness contract: right after startBroker() returns every partition has a leader that answers
     * ListOffsets (measured here: 0.2-0.5 s after the restarted broker is registered its leaders were still not all
     * serving; a producer writing in that window can lose its first batch, see LocalCluster#awaitLeaders). This checks
     * the contract; it does not reproduce the race itself (the admin client retries NOT_LEADER within its 2 s).
     */
    private static void assertEveryPartitionLed(LocalCluster cluster) throws Exception {
        try (Admin admin = Admin.create(cluster.kafkaProps())) {
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> all = new HashMap<>();
            admin.describeTopics(admin.listTopics().names().get(10, TimeUnit.SECONDS)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .forEach((name, d) -> d.partitions().forEach(p -> {
                        assertTrue(p.leader() != null && !p.leader().isEmpty(), name + "-" + p.partition() + " has no leader");
                        all.put(new TopicPartition(name, p.partition()), org.apache.kafka.clients.admin.OffsetSpec.latest());
                    }));
            admin.listOffsets(all, new org.apache.kafka.clients.admin.ListOffsetsOptions().timeoutMs(2000)).all().get(5, TimeUnit.SECONDS);
        }
    }

    /** Sends n records with an idempotent acks=all producer and returns the values every send acknowledged. */
    private static List<String> produce(LocalCluster cluster, String topic, String prefix, int n) throws Exception {
        Map<String, Object> p = new HashMap<>(cluster.kafkaProps());
        p.put("acks", "all");
        p.put("enable.idempotence", true);
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        List<String> values = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < n; i++) {
                values.add(prefix + i);
                sends.add(producer.send(new ProducerRecord<>(topic, prefix + i, prefix + i)));
            }
            for (Future<RecordMetadata> f : sends) f.get(120, TimeUnit.SECONDS);
        }
        return values;
    }

    private static Set<String> readAll(LocalCluster cluster, String topic, int expected) {
        Map<String, Object> c = new HashMap<>(cluster.kafkaProps());
        c.put("group.id", "faults-it-" + System.nanoTime());
        Set<String> values = new HashSet<>();
        int read = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 60_000;
            while (read < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                    read++;
                }
            }
        }
        assertEquals(expected, read, "records read (a duplicate would make more)");
        return values;
    }
}
