package dev.ccpo.infra;

import dev.ccpo.avro.Task;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A Confluent-compatible Node client (independent implementation) decodes what our Java serdes wrote, via our registry. */
class NodeClientIT {
    static final Path DIR = Path.of("node-client-test").toAbsolutePath();

    @Test
    void nodeClientDecodesJavaRecords() throws Exception {
        if (!onPath("node") || !onPath("npm"))
            fail("node and npm must be on PATH for NodeClientIT (CI installs Node 20); PATH=" + System.getenv("PATH"));
        if (!Files.isDirectory(DIR.resolve("node_modules"))) {
            // never inheritIO(): npm would share (and set non-blocking) the forked test JVM's stdin/stdout,
            // which surefire uses as its command channel ("std/in stream corrupted")
            Path log = Path.of("target", "npm-ci.log").toAbsolutePath();
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertTrue(npm.waitFor(300, TimeUnit.SECONDS), "npm ci timed out in " + DIR + "; see " + log);
            assertEquals(0, npm.exitValue(), "npm ci failed in " + DIR + ":\n" + Files.readString(log));
        }
        try (LocalCluster cluster = LocalCluster.start()) {
            String topic = "node.it";
            cluster.createTopic(topic, 1, Map.of());
            // two record types on one topic share its subject (TopicNameStrategy): allow that here
            cluster.registry().store().setCompatibility(topic + "-value", "NONE");
            RecordSerdes serdes = RecordSerdes.fromConfig(cluster.config("node-it"));
            Task task = SampleRecords.task();
            Trajectory trajectory = SampleRecords.trajectory();
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new StringSerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(topic, "t", serdes.task().serialize(topic, task))).get(30, TimeUnit.SECONDS);
                p.send(new ProducerRecord<>(topic, "j", serdes.trajectory().serialize(topic, trajectory))).get(30, TimeUnit.SECONDS);
            }
            Process node = new ProcessBuilder("node", "test.mjs", cluster.bootstrapServers(), cluster.registryUrl(), topic, "2")
                    .directory(DIR.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).start();
            boolean finished = node.waitFor(120, TimeUnit.SECONDS);
            String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!finished) node.destroyForcibly();
            assertTrue(finished, "node test.mjs timed out: " + out);
            assertEquals(0, node.exitValue(), "node test.mjs failed:\n" + out);
            List<String> decoded = out.lines().filter(l -> l.startsWith("DECODED ")).toList();
            assertEquals(2, decoded.size(), out);
            assertTrue(decoded.get(0).contains("\"taskId\":\"math500/test/0\"") && decoded.get(0).contains("\"answerKind\":\"NUMERIC\""), decoded.get(0));
            assertTrue(decoded.get(1).contains("\"trajectoryId\":\"g1/0\"") && decoded.get(1).contains("\\\\boxed{2}")
                    && decoded.get(1).contains("\"role\":\"reasoner\""), decoded.get(1));
            assertTrue(out.contains("REGISTERED id="), out);
        }
    }

    private static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            if (Files.isExecutable(Path.of(dir, exe))) return true;
        return false;
    }
}
