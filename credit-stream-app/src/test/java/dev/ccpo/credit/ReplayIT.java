package dev.ccpo.credit;

import dev.ccpo.infra.LocalCluster;
import dev.ccpo.infra.ServiceJar;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18: README's replay command, as written there, on a fresh cluster (the pipeline's topics only): it creates
 * its own output topics, writes its advantages and dead letters there, and leaves the live ccpo.advantages, ccpo.dlq
 * and ccpo.rollout-stats untouched; a replay that cannot run exits non-zero instead of staying alive.
 */
class ReplayIT {
    static final int GROUPS = 6, G = 4;

    /** The replay command of credit-stream-app/README.md: its arguments after the jar, continuation lines joined. */
    static List<String> readmeReplayArgs() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("# replay from earliest");
        String block = readme.substring(readme.indexOf('\n', at) + 1, readme.indexOf("```", at));
        String command = block.replace("\\\n", " ").trim();
        List<String> words = new ArrayList<>(Arrays.asList(command.split("\\s+")));
        assertEquals(List.of("java", "-jar", "credit-stream-app/target/credit-stream-app-0.1.0-SNAPSHOT.jar"), words.subList(0, 3), command);
        return new ArrayList<>(words.subList(3, words.size()));
    }

    @Test
    void readmeReplayCommandWritesOnlyItsOwnTopicsAndExitsNonZeroOnError(@TempDir Path dir) throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            RecordSerdes serdes = RecordSerdes.fromConfig(cluster.config("replay-it"));
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>("ccpo.trajectories", null, CreditStreamAppIT.BASE, "absurd".getBytes(StandardCharsets.UTF_8),
                        serdes.trajectory().serialize("ccpo.trajectories", Fixtures.thinkReason("absurd", 0, 1, 1e300, CreditStreamAppIT.BASE)))).get();
            }
            CreditStreamAppIT.produceSyntheticGroups(cluster, serdes, "ccpo.trajectories", "ccpo.counterfactuals", GROUPS, G, 18);

            List<String> args = readmeReplayArgs();
            // Only where this machine differs from the README's: the broker and registry addresses, a state folder,
            // and no fixed HTTP port (other tests may hold 8088).
            args.replaceAll(a -> a.equals("--bootstrap.servers=localhost:9092") ? "--bootstrap.servers=" + cluster.bootstrapServers() : a);
            args.addAll(List.of("--schema.registry.url=" + cluster.registryUrl(), "--kafka.state.dir=" + dir.resolve("state"), "--http.port=0"));
            assertTrue(args.contains("--replay=true") && args.contains("--application.id=ccpo-credit-replay-1"), args.toString());
            Process replay = ServiceJar.start("credit-stream-app", List.of("-Xmx384m"), args, Path.of("target", "credit-replay-it.log"));
            try {
                String out = "ccpo.advantages.ccpo-credit-replay-1", dlq = "ccpo.dlq.ccpo-credit-replay-1";
                int advantages = CreditStreamAppIT.readAll(cluster.kafkaProps(), "replay-it-a", out, GROUPS * G * 2, Duration.ofSeconds(150)).size();
                assertTrue(replay.isAlive(), "the replay exited; see target/credit-replay-it.log");
                assertEquals(GROUPS * G * 2, advantages, "every group credited into " + out);
                var dead = CreditStreamAppIT.readAll(cluster.kafkaProps(), "replay-it-d", dlq, 1, Duration.ofSeconds(30));
                assertEquals(1, dead.size());
                assertTrue(serdes.deadLetter().deserialize(dlq, dead.get(0).value()).getReason().contains("reward 1.0E300 outside the reward domain"));
                assertTrue(CreditStreamAppIT.readAll(cluster.kafkaProps(), "replay-it-s", "ccpo.rollout-stats.ccpo-credit-replay-1", 1,
                        Duration.ofSeconds(30)).size() >= 1, "its statistics in its own topic");
                for (String live : List.of("ccpo.advantages", "ccpo.dlq", "ccpo.rollout-stats"))
                    assertEquals(0, CreditStreamAppIT.readAll(cluster.kafkaProps(), "replay-it-live-" + live, live, 1, Duration.ofSeconds(3)).size(),
                            live + " was written by the replay");
            } finally {
                replay.destroy();
                replay.waitFor(60, TimeUnit.SECONDS);
            }

            // A replay that cannot run says why and exits non-zero, instead of staying alive.
            List<String> bad = new ArrayList<>(List.of("--bootstrap.servers=" + cluster.bootstrapServers(),
                    "--schema.registry.url=" + cluster.registryUrl(), "--replay=true", "--http.port=0"));
            Process refused = ServiceJar.start("credit-stream-app", List.of("-Xmx256m"), bad, Path.of("target", "credit-replay-refused.log"));
            assertTrue(refused.waitFor(60, TimeUnit.SECONDS), "exits");
            assertEquals(2, refused.exitValue());
            assertTrue(Files.readString(Path.of("target", "credit-replay-refused.log"))
                    .contains("replay=true needs its own application.id (not the live pipeline's ccpo-credit)"));
        }
    }
}
