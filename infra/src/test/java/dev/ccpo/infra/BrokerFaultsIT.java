package dev.ccpo.infra;

import dev.ccpo.avro.Task;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.infra.registry.SchemaRegistryServer;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registry persistence in _schemas, and the broker surviving stop/start and kill -9 on the same ports and data. */
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
    void brokerStopStartAndKillKeepData() {
        try (LocalCluster cluster = LocalCluster.start()) {
            String bootstrap = cluster.bootstrapServers();
            assertTrue(Smoke.run(cluster.config("faults")).stream().allMatch(Smoke.Result::equal));
            cluster.stopBroker();
            assertFalse(cluster.brokerAlive());
            cluster.startBroker();
            assertEquals(bootstrap, cluster.bootstrapServers(), "same port after restart");
            assertTrue(Smoke.run(cluster.config("faults")).stream().allMatch(Smoke.Result::equal), "round trip after clean restart");
            cluster.killBroker();
            assertFalse(cluster.brokerAlive());
            cluster.startBroker();
            List<Smoke.Result> after = Smoke.run(cluster.config("faults"));
            for (Smoke.Result r : after) assertTrue(r.equal(), "after kill -9: " + r.line());
        }
    }
}
