package dev.ccpo.infra;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real broker child process and our registry: every record type round-trips; the registry survives broker restarts. */
class LocalClusterIT {
    static LocalCluster cluster;

    @BeforeAll
    static void start() { cluster = LocalCluster.start(); }

    @AfterAll
    static void stop() { if (cluster != null) cluster.close(); }

    @Test
    void everyRecordTypeRoundTripsThroughBrokerAndRegistry() {
        List<Smoke.Result> results = Smoke.run(cluster.config("infra-it"));
        assertEquals(7, results.size());
        for (Smoke.Result r : results) assertTrue(r.equal(), r.line());
        assertEquals(7, results.stream().map(Smoke.Result::schemaId).distinct().count(), "one schema id per type");
        // the HTTP client resolves the ids the serializers registered
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(cluster.registryUrl());
        for (Smoke.Result r : results) assertFalse(client.schemaById(r.schemaId()).getFields().isEmpty());
    }

    @Test
    void designTopicsExistWithTheirConfigs() throws Exception {
        try (Admin admin = Admin.create(cluster.kafkaProps())) {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (String t : List.of("ccpo.tasks", "ccpo.trajectories", "ccpo.counterfactuals", "ccpo.rollout-stats",
                    "ccpo.advantages", "ccpo.weights", "ccpo.dlq", "_schemas"))
                assertTrue(names.contains(t), t + " missing from " + names);
            Map<String, TopicDescription> d = admin.describeTopics(List.of("ccpo.tasks", "ccpo.rollout-stats")).allTopicNames().get(30, TimeUnit.SECONDS);
            assertEquals(4, d.get("ccpo.tasks").partitions().size());
            assertEquals(1, d.get("ccpo.rollout-stats").partitions().size());
            ConfigResource w = new ConfigResource(ConfigResource.Type.TOPIC, "ccpo.weights");
            var cfg = admin.describeConfigs(List.of(w)).all().get(30, TimeUnit.SECONDS).get(w);
            assertEquals("compact", cfg.get("cleanup.policy").value());
            assertEquals("8388608", cfg.get("max.message.bytes").value());
        }
    }

    @Test
    void createTopicIsIdempotentAndConfigCarriesAddresses() {
        cluster.createTopic("it.extra", 2, Map.of());
        cluster.createTopic("it.extra", 2, Map.of());
        var cfg = cluster.config("infra-it", "--topic.tasks=other.tasks");
        assertEquals(cluster.bootstrapServers(), cfg.string(CommonKeys.BOOTSTRAP_SERVERS));
        assertEquals(cluster.registryUrl(), cfg.string(CommonKeys.REGISTRY_URL));
        assertEquals("other.tasks", cfg.string(CommonKeys.TOPIC_TASKS));
    }
}
