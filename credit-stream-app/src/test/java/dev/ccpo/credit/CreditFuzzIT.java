package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.serde.HttpSchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz-style bad input on both of the credit app's input topics, interleaved with valid groups, on a real broker:
 * random bytes, the registry's magic byte with an unknown schema id, a valid record of another schema, NaN and
 * infinite rewards, empty turns, a record whose group size disagrees with its group, a truncated record; a
 * trajectory with 2M token ids is refused by the producer. Every bad record must reach ccpo.dlq with a reason and
 * its original bytes, every valid group must get its advantages, and the app must keep running.
 */
class CreditFuzzIT {
    static final int GROUPS = 20, G = 4;
    static final long BASE = (System.currentTimeMillis() / 60_000L) * 60_000L - 600_000L;

    @Test
    void everyBadRecordIsDeadLetteredAndTheValidGroupsAreCredited() throws Exception {
        try (LocalCluster cluster = LocalCluster.start()) {
            RecordSerdes serdes = new RecordSerdes(new HttpSchemaRegistryClient(cluster.registryUrl(), ""));
            Random rnd = new Random(42);
            List<String> bad = new ArrayList<>(); // Base64 of every bad value the broker accepted
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cluster.kafkaProps(), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < GROUPS; i++) {
                    String gid = "valid-" + i;
                    byte[] key = gid.getBytes(StandardCharsets.UTF_8);
                    long ts0 = BASE + i * 100L;
                    for (int k = 0; k < G; k++) {
                        send(p, "ccpo.trajectories", key, ts0 + k, serdes.trajectory().serialize("ccpo.trajectories",
                                Fixtures.thinkReason(gid, k, G, rnd.nextInt(2), ts0 + k)), null);
                        send(p, "ccpo.counterfactuals", key, ts0 + k, serdes.counterfactual().serialize("ccpo.counterfactuals",
                                Fixtures.solo(gid, k, G, rnd.nextInt(2), ts0 + k)), null);
                        if (k == 0) // in the middle of the group, while it is buffered: validation, not lateness, rejects them
                            badRecordsFor(i, gid, ts0, rnd, serdes).forEach((topic, values) ->
                                    values.forEach(v -> send(p, topic, key, ts0, v, bad)));
                    }
                }
                // refused by the producer (max.request.size), so it never reaches the broker nor the app
                Trajectory valid = Fixtures.thinkReason("valid-0", 0, G, 1, BASE);
                Trajectory huge = Trajectory.newBuilder(valid).setTurns(List.of(Turn.newBuilder(valid.getTurns().get(0))
                        .setOutputTokenIds(java.util.Collections.nCopies(2_000_000, 7))
                        .setBehaviourLogProbs(java.util.Collections.nCopies(2_000_000, -0.1f)).build(), valid.getTurns().get(1))).build();
                ExecutionException tooLarge = assertThrows(ExecutionException.class, () -> p.send(new ProducerRecord<>("ccpo.trajectories",
                        "valid-0".getBytes(StandardCharsets.UTF_8), serdes.trajectory().serialize("ccpo.trajectories", huge))).get());
                assertTrue(tooLarge.getCause() instanceof RecordTooLargeException, tooLarge.toString());
                for (int part = 0; part < p.partitionsFor("ccpo.trajectories").size(); part++)
                    p.send(new ProducerRecord<byte[], byte[]>("ccpo.trajectories", part, BASE + GROUPS * 100L + 300_000L,
                            "heartbeat".getBytes(StandardCharsets.UTF_8), null));
                p.flush();
            }

            String[] args = {"--application.id=ccpo-credit-fuzz", "--http.port=0", "--credit.mode=ccpo",
                    "--stats.window.ms=1000", "--stats.window.grace.ms=0", "--history.max.wait.ms=600000",
                    "--kafka.state.dir=" + Files.createTempDirectory("credit-state-fuzz-")};
            try (CreditStreamApp app = new CreditStreamApp(cluster.config(CreditSettings.spec(), args))) {
                app.start();
                int expected = GROUPS * G * 2;
                List<ConsumerRecord<byte[], byte[]>> advantages = CreditStreamAppIT.readAll(cluster.kafkaProps(), "it-fuzz-adv",
                        "ccpo.advantages", expected + 1, Duration.ofSeconds(60));
                List<ConsumerRecord<byte[], byte[]>> dead = CreditStreamAppIT.readAll(cluster.kafkaProps(), "it-fuzz-dlq",
                        "ccpo.dlq", bad.size() + 1, Duration.ofSeconds(10));
                assertTrue(app.streams().state().isRunningOrRebalancing(), "the app keeps running: " + app.counters().snapshot());

                assertEquals(expected, advantages.size(), "every valid (trajectory, role) credited once: " + app.counters().snapshot());
                for (ConsumerRecord<byte[], byte[]> r : advantages) {
                    AgentAdvantage a = serdes.advantage().deserialize("ccpo.advantages", r.value());
                    assertTrue(a.getGroupComplete() && a.getGroupRecordCount() == G * 2, "whole groups only: " + a.getGroupId());
                    assertTrue(Double.isFinite(a.getAdvantage()), a.toString());
                }
                List<String> deadValues = new ArrayList<>();
                List<String> reasons = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : dead) {
                    DeadLetter d = serdes.deadLetter().deserialize("ccpo.dlq", r.value());
                    assertFalse(d.getReason().isBlank(), d.toString());
                    assertTrue(d.getSourceTopic().equals("ccpo.trajectories") || d.getSourceTopic().equals("ccpo.counterfactuals"), d.toString());
                    assertTrue(d.getOffset() >= 0, d.toString());
                    deadValues.add(Base64.getEncoder().encodeToString(bytes(d.getValue())));
                    reasons.add(d.getSourceTopic() + "@" + d.getOffset() + " " + d.getErrorClass() + ": " + d.getReason());
                }
                System.out.println("CreditFuzzIT dead letters:\n" + String.join("\n", reasons));
                assertEquals(bad.size(), dead.size(), "one dead letter per bad record: " + String.join("\n", reasons));
                bad.sort(null);
                deadValues.sort(null);
                assertEquals(bad, deadValues, "each dead letter carries its record's original bytes");
            }
        }
    }

    /** The bad records sent after group {@code i}, by topic; each group gets a different kind. */
    private static Map<String, List<byte[]>> badRecordsFor(int i, String gid, long ts, Random rnd, RecordSerdes serdes) {
        byte[] garbage = new byte[1 + rnd.nextInt(200)];
        rnd.nextBytes(garbage);
        garbage[0] = (byte) (1 + rnd.nextInt(100)); // not the registry's magic byte 0
        byte[] unknownId = ByteBuffer.allocate(12).put((byte) 0).putInt(987_654).putInt(rnd.nextInt()).array();
        Trajectory t = Fixtures.thinkReason(gid, 0, G, 1, ts);
        CounterfactualOutcome c = Fixtures.solo(gid, 0, G, 1, ts);
        return switch (i % 8) {
            case 0 -> Map.of("ccpo.trajectories", List.of(garbage), "ccpo.counterfactuals", List.of(unknownId));
            case 1 -> Map.of("ccpo.trajectories", List.of(serdes.task().serialize("ccpo.tasks", Fixtures.task("wrong-schema"))));
            case 2 -> Map.of("ccpo.trajectories", List.of(serdes.trajectory().serialize("ccpo.trajectories",
                    Trajectory.newBuilder(t).setTrajectoryId(gid + "/nan").setReward(Double.NaN).build())));
            case 3 -> Map.of("ccpo.trajectories", List.of(serdes.trajectory().serialize("ccpo.trajectories",
                    Trajectory.newBuilder(t).setTrajectoryId(gid + "/inf").setReward(Double.POSITIVE_INFINITY).build())));
            case 4 -> Map.of("ccpo.trajectories", List.of(serdes.trajectory().serialize("ccpo.trajectories",
                    Trajectory.newBuilder(t).setTrajectoryId(gid + "/empty").setTurns(List.of()).build())));
            case 5 -> Map.of("ccpo.trajectories", List.of(serdes.trajectory().serialize("ccpo.trajectories",
                    Trajectory.newBuilder(t).setTrajectoryId(gid + "/size").setGroupSize(G + 1).setGroupIndex(G).build())));
            case 6 -> Map.of("ccpo.counterfactuals", List.of(serdes.counterfactual().serialize("ccpo.counterfactuals",
                    CounterfactualOutcome.newBuilder(c).setMeanReward(Double.NaN).build())));
            default -> {
                byte[] whole = serdes.trajectory().serialize("ccpo.trajectories", t);
                yield Map.of("ccpo.trajectories", List.of(java.util.Arrays.copyOf(whole, whole.length / 2)));
            }
        };
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, byte[] key, long ts, byte[] value, List<String> bad) {
        try {
            p.send(new ProducerRecord<>(topic, null, ts, key, value)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot produce to " + topic + ": " + e, e);
        }
        if (bad != null) bad.add(Base64.getEncoder().encodeToString(value));
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
