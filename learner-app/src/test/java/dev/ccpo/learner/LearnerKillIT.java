package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.infra.ServiceJar;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner's shaded jar as a child JVM, killed with SIGKILL while advantages stream in, then restarted on the same
 * checkpoint folder: it resumes from its last checkpoint, every group is trained exactly once in the lineage of the
 * weights it goes on from (the killed run's steps up to that checkpoint, then the restarted run's), and no policy
 * version is ever published with two different sets of weights.
 */
class LearnerKillIT {
    static final int GROUPS = 30;
    static final Pattern STEP = Pattern.compile("^step (\\d+) role \\S+ .* groups (\\S+)$");
    static final Pattern RESUMED = Pattern.compile("^resuming from checkpoint .*: step (\\d+), v(\\d+), offsets .*$");

    @TempDir Path tmp;

    @Test
    void killedMidRunResumesFromItsCheckpointAndTrainsEveryGroupOnce() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
            List<String> args = List.of("--bootstrap.servers=" + cluster.bootstrapServers(),
                    "--schema.registry.url=" + cluster.registryUrl(), "--roles=thinker", "--batch.groups=1",
                    "--publish.every=1", "--checkpoint.every=3", "--alternate.steps=0", "--max.policy.lag=1000",
                    "--lr=0.001", "--micro.batch.size=2", "--device=cpu",
                    "--checkpoint.dir=" + tmp.resolve("ck"), "--weights.dir=" + tmp.resolve("w"));

            // Groups arrive over time (as from a credit app), so the kill lands mid-stream, not after the last one.
            Thread producer = new Thread(() -> produce(cluster, serdes), "advantages");
            producer.start();
            Process first = start(args, "first");
            Map<Long, String> firstSteps;
            try {
                awaitStep(first, log("first"), 7);
            } finally {
                first.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no checkpoint on the way out
            }
            firstSteps = steps(log("first"));
            long lastStepBeforeKill = Collections.max(firstSteps.keySet());
            System.out.printf("LearnerKillIT: killed after step %d%n", lastStepBeforeKill);

            Process second = start(args, "second");
            try {
                producer.join(120_000);
                long needed = GROUPS; // one group per step
                while (steps(log("second")).keySet().stream().mapToLong(Long::longValue).max().orElse(0) < needed) {
                    assertTrue(second.isAlive(), "the restarted learner died; see " + log("second"));
                    Thread.sleep(200);
                }
            } finally {
                second.destroy(); // SIGTERM: finish the step, checkpoint, exit
                assertTrue(second.waitFor(60, TimeUnit.SECONDS), "no exit within 60 s of SIGTERM");
            }
            assertEquals(143, second.exitValue(), "the JVM's status after SIGTERM and its shutdown hook; see " + log("second"));

            List<String> secondLog = Files.readAllLines(log("second"), StandardCharsets.UTF_8);
            long resumedAt = secondLog.stream().map(RESUMED::matcher).filter(Matcher::matches)
                    .mapToLong(m -> Long.parseLong(m.group(1))).findFirst()
                    .orElseThrow(() -> new AssertionError("the restarted learner did not resume from a checkpoint: " + log("second")));
            assertTrue(resumedAt >= 3 && resumedAt % 3 == 0 && resumedAt <= lastStepBeforeKill,
                    "resumed at step " + resumedAt + ", a checkpoint of the killed run (last step " + lastStepBeforeKill + ")");
            Map<Long, String> secondSteps = steps(log("second"));
            assertEquals(resumedAt + 1, Collections.min(secondSteps.keySet()), "steps go on from the checkpoint's");
            assertEquals(Collections.max(secondSteps.keySet()), new CheckpointStore(tmp.resolve("ck"), 3).latest().orElseThrow().meta().step(),
                    "the graceful stop checkpointed the last step");

            // The lineage of the final weights: the killed run's steps up to its checkpoint, then the restarted run's.
            List<String> lineage = new ArrayList<>();
            firstSteps.forEach((step, groups) -> { if (step <= resumedAt) lineage.addAll(List.of(groups.split(","))); });
            secondSteps.values().forEach(groups -> lineage.addAll(List.of(groups.split(","))));
            Set<String> all = new TreeSet<>();
            for (int g = 0; g < GROUPS; g++) all.add("kg" + g);
            assertEquals(GROUPS, lineage.size(), "one group per step, each trained once: " + lineage);
            assertEquals(all, new TreeSet<>(lineage), "every group trained");

            // Versions the killed run published after its checkpoint stay out; the restarted run numbers on after them.
            Map<Long, Set<String>> shaByVersion = weightsShaByVersion(cluster, serdes);
            shaByVersion.forEach((v, shas) -> assertEquals(1, shas.size(), "v" + v + " published with two sets of weights"));
            long newest = Collections.max(shaByVersion.keySet());
            assertEquals(newest, shaByVersion.size(), "versions 1.." + newest + " without gaps: " + shaByVersion.keySet());
            // the killed run published each logged step, except perhaps the last (killed between its log line and its commit)
            long publishedByFirst = newest - secondSteps.size();
            assertTrue(publishedByFirst == lastStepBeforeKill || publishedByFirst == lastStepBeforeKill - 1,
                    "newest v" + newest + " = the killed run's " + lastStepBeforeKill + " steps + the restarted run's " + secondSteps.size());
        }
    }

    private static void produce(LocalCluster cluster, RecordSerdes serdes) {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int g = 0; g < GROUPS; g++) {
                for (int k = 0; k < 2; k++) {
                    AgentAdvantage a = TestRecords.advantage("kg" + g, 2, 0, true, k == 0 ? 1.0 : -1.0,
                            List.of(40 + g % 20, 41, 42), List.of(-4f, -4f, -4f));
                    p.send(new ProducerRecord<>("ccpo.advantages", g % 2, null, serdes.advantage().serialize("ccpo.advantages", a)));
                }
                p.flush();
                Thread.sleep(150);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** step number -> the groups it trained, from a learner log. */
    private static Map<Long, String> steps(Path log) throws Exception {
        Map<Long, String> out = new TreeMap<>();
        if (!Files.exists(log)) return out;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher m = STEP.matcher(line);
            if (m.matches()) assertNull(out.put(Long.parseLong(m.group(1)), m.group(2)), "step printed twice: " + line);
        }
        return out;
    }

    private static void awaitStep(Process p, Path log, long step) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        while (steps(log).keySet().stream().noneMatch(s -> s >= step)) {
            assertTrue(p.isAlive(), "the learner died on its own; see " + log);
            assertTrue(System.currentTimeMillis() < deadline, "no step " + step + " within 180 s; see " + log);
            Thread.sleep(50);
        }
    }

    /** Every committed weights version on ccpo.weights -> the sha256 values it was published with. */
    private static Map<Long, Set<String>> weightsShaByVersion(LocalCluster cluster, RecordSerdes serdes) {
        Map<String, Object> rp = new HashMap<>(cluster.kafkaProps());
        rp.put("isolation.level", "read_committed");
        Map<Long, Set<String>> out = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(rp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor("ccpo.weights").stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    PolicyWeights w = serdes.weights().deserialize(r.topic(), r.value());
                    if (w.getChunkIndex() == 0) out.computeIfAbsent(w.getPolicyVersion(), k -> new TreeSet<>()).add(w.getSha256().toString());
                }
            }
        }
        return out;
    }

    private Path log(String name) { return Path.of("target", "learner-kill-" + name + ".log"); }

    /** The module's shaded jar as a child JVM, its output in target/learner-kill-<name>.log. */
    private Process start(List<String> args, String name) throws Exception {
        return ServiceJar.start("learner-app", List.of("-Xmx512m", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1"),
                args, log(name));
    }
}
