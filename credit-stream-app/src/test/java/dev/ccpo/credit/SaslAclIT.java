package dev.ccpo.credit;

import dev.ccpo.infra.LocalCluster;
import dev.ccpo.infra.ServiceAcls;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A broker that only speaks SASL/SCRAM and denies what no ACL allows: the credit app runs as its own principal
 * with only {@link ServiceAcls}' credit set (Kafka Streams, exactly-once, internal topics included), the inputs are
 * written by a principal with the generator's and counterfactual worker's sets, and the advantages are read by a
 * read-only (analytics) principal. Then: who may not write advantages or weights cannot.
 */
class SaslAclIT {
    static final int GROUPS = 10, G = 4;
    static final String APP_ID = "ccpo-credit-sasl";

    @Test
    void servicesWorkWithTheirOwnCredentialsAndLeastPrivilegeAndOthersCannotWrite() throws Exception {
        try (LocalCluster cluster = LocalCluster.startWithSasl("admin-secret")) {
            cluster.createUser("credit", "credit-secret");
            cluster.createUser("workers", "workers-secret");
            cluster.createUser("analyst", "analyst-secret");
            try (Admin admin = Admin.create(cluster.kafkaProps())) {
                List<org.apache.kafka.common.acl.AclBinding> acls = new ArrayList<>(ServiceAcls.of("credit", "User:credit", APP_ID));
                acls.addAll(ServiceAcls.of("generator", "User:workers", APP_ID));
                acls.addAll(ServiceAcls.of("counterfactual", "User:workers", APP_ID));
                acls.addAll(ServiceAcls.of("analytics", "User:analyst", APP_ID));
                admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
            }
            RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
            Map<String, Object> workers = cluster.kafkaProps("workers", "workers-secret");
            Map<String, Object> analyst = cluster.kafkaProps("analyst", "analyst-secret");
            Map<String, Object> credit = cluster.kafkaProps("credit", "credit-secret");
            CreditStreamAppIT.produceSyntheticGroups(workers, serdes, "ccpo.trajectories", "ccpo.counterfactuals", GROUPS, G, 5);

            List<String> args = new ArrayList<>(List.of("--application.id=" + APP_ID, "--http.port=0",
                    "--kafka.state.dir=" + Files.createTempDirectory("credit-state-")));
            args.addAll(cluster.serviceArgs("credit", "credit-secret"));
            try (CreditStreamApp app = new CreditStreamApp(cluster.config(CreditSettings.spec(), args.toArray(String[]::new)))) {
                app.start();
                int expected = GROUPS * G * 2;
                var advantages = CreditStreamAppIT.readAll(analyst, "ccpo-analytics-it", "ccpo.advantages", expected, Duration.ofSeconds(120));
                assertEquals(expected, advantages.size(), "advantages read by the read-only principal; credit app: " + app.counters().snapshot());
                assertEquals(0, app.counters().get("dlq"), app.counters().snapshot().toString());
            }

            // a read-only principal cannot write advantages or weights, nor can the credit app's principal write weights
            assertDenied(analyst, "ccpo.advantages");
            assertDenied(analyst, "ccpo.weights");
            assertDenied(credit, "ccpo.weights");
            assertDenied(workers, "ccpo.advantages");
            // a wrong password does not authenticate; a client without credentials gets no metadata at all
            ExecutionException wrong = assertThrows(ExecutionException.class,
                    () -> send(cluster.kafkaProps("analyst", "guess"), "ccpo.advantages"));
            assertTrue(wrong.getCause() instanceof SaslAuthenticationException, wrong.toString());
            Map<String, Object> anonymous = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrapServers()));
            ExecutionException none = assertThrows(ExecutionException.class, () -> send(anonymous, "ccpo.advantages"));
            assertTrue(none.getCause() instanceof org.apache.kafka.common.errors.TimeoutException, none.toString());
            assertEquals(GROUPS * G * 2, CreditStreamAppIT.readAll(analyst, "ccpo-analytics-it2", "ccpo.advantages",
                    GROUPS * G * 2 + 1, Duration.ofSeconds(5)).size(), "nothing was written by the refused clients");
        }
    }

    private static void assertDenied(Map<String, Object> props, String topic) {
        try {
            send(props, topic);
            fail(props.get("sasl.jaas.config") + " wrote to " + topic);
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof TopicAuthorizationException, "expected TopicAuthorizationException, got " + e.getCause());
        } catch (Exception e) {
            throw new AssertionError("writing to " + topic + ": " + e, e);
        }
    }

    /** One record, acks=all, bounded waits: the caller sees authentication and authorization errors. */
    private static void send(Map<String, Object> props, String topic) throws Exception {
        Map<String, Object> p = new HashMap<>(props);
        p.put("max.block.ms", 8000);
        p.put("delivery.timeout.ms", 8000);
        p.put("request.timeout.ms", 5000);
        p.put("enable.idempotence", false);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "k".getBytes(), "not a record".getBytes())).get(20, TimeUnit.SECONDS);
        }
    }
}
