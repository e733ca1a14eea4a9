package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, seeded randomized: random mixes of valid groups and extreme or malformed records (absurd and non-finite
 * rewards, out-of-domain group sizes, random bytes, counterfactuals naming another trajectory, a second trajectory
 * with an id already in its group, a group with one poisoned trajectory) through the credit topology. Every valid
 * group is credited with finite advantages, every bad record is dead-lettered with a reason, the history stays finite.
 * 25 cases, each from a fixed seed (shown in the test name and in every assertion message): a failure is rerun by
 * feeding its seed to {@link #cases(long)}.
 */
class CreditPoisonPropertiesTest {
    static final Double[] BAD_REWARDS = {1e300, -1e300, Double.MAX_VALUE, 1.5, -0.25, Double.NaN,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0};

    enum Kind { VALID, BAD_TRAJECTORY_REWARD, BAD_COUNTERFACTUAL_REWARD, BAD_GROUP_SIZE, RANDOM_BYTES,
        FOREIGN_COUNTERFACTUAL, DUPLICATE_ID, POISONED_GROUP }

    /** One case: what it is, its group size, its rewards (0/1), an extreme value and a seed for the rest. */
    record Case(Kind kind, int size, List<Integer> joint, List<Integer> solo, double extreme, long seed) { }

    /** Fixed seeds, one per case (25, as many tries as the property had). */
    static LongStream seeds() {
        return LongStream.range(0, 25).map(i -> 0x5EED_18C0L + i);
    }

    static final long[] EDGE_LONGS = {0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE};

    /** Any long: uniform, with the edge values (0, +-1, MIN_VALUE, MAX_VALUE) mixed in one time in ten. */
    static long anyLong(SplittableRandom rnd) {
        return rnd.nextInt(10) == 0 ? EDGE_LONGS[rnd.nextInt(EDGE_LONGS.length)] : rnd.nextLong();
    }

    static List<Integer> zeroOnes(SplittableRandom rnd, int n) {
        List<Integer> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(rnd.nextInt(2));
        return l;
    }

    /** 1 to 12 cases, each of any kind, size in [2, 5], five 0/1 joint and solo rewards, one of BAD_REWARDS, a long. */
    static List<Case> cases(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int count = 1 + rnd.nextInt(12);
        List<Case> cases = new ArrayList<>(count);
        Kind[] kinds = Kind.values();
        for (int i = 0; i < count; i++) {
            cases.add(new Case(kinds[rnd.nextInt(kinds.length)], 2 + rnd.nextInt(4), zeroOnes(rnd, 5), zeroOnes(rnd, 5),
                    BAD_REWARDS[rnd.nextInt(BAD_REWARDS.length)], anyLong(rnd)));
        }
        return cases;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void validGroupsAreCreditedBadRecordsDeadLetteredHistoryFinite(long seed) throws Exception {
        List<Case> cases = cases(seed);
        String at = "seed " + seed + ": ";
        Path state = Files.createTempDirectory("credit-prop");
        RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
        CreditSettings s = Fixtures.settings(CreditMode.CCPO);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        CreditCounters counters = new CreditCounters();
        try (TopologyTestDriver driver = new TopologyTestDriver(CreditTopology.build(s, serdes.trajectory(), serdes.counterfactual(),
                serdes.advantage(), serdes.deadLetter(), serdes.rolloutStats(), counters), p)) {
            TestInputTopic<String, byte[]> traj = driver.createInputTopic(s.trajectoriesTopic(), new StringSerializer(),
                    new ByteArraySerializer(), Instant.EPOCH, Duration.ZERO);
            TestInputTopic<String, byte[]> cfs = driver.createInputTopic(s.counterfactualsTopic(), new StringSerializer(),
                    new ByteArraySerializer(), Instant.EPOCH, Duration.ZERO);
            TestOutputTopic<String, AgentAdvantage> out = driver.createOutputTopic(s.advantagesTopic(), new StringDeserializer(),
                    serdes.advantage().deserializer());
            TestOutputTopic<byte[], DeadLetter> dlq = driver.createOutputTopic(s.dlqTopic(), new ByteArrayDeserializer(),
                    serdes.deadLetter().deserializer());
            TestOutputTopic<String, RolloutStats> stats = driver.createOutputTopic(s.statsTopic(), new StringDeserializer(),
                    serdes.rolloutStats().deserializer());

            Map<String, Integer> expectedAdvantages = new HashMap<>();  // group -> records it must get
            int expectedDead = 0;
            long ts = 1_000;
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                String g = "g" + i;
                ts += 7_000;  // groups spread over several stats windows
                int n = c.size();
                switch (c.kind()) {
                    case VALID, FOREIGN_COUNTERFACTUAL, DUPLICATE_ID -> {
                        for (int k = 0; k < n; k++) {
                            if (c.kind() == Kind.FOREIGN_COUNTERFACTUAL && k == 0) {
                                CounterfactualOutcome foreign = Fixtures.solo(g, 0, n, 1 - c.solo().get(0), ts);
                                foreign.setTrajectoryId("someone-else/" + c.seed());
                                cfs.pipeInput(g, ser(serdes, s.counterfactualsTopic(), foreign), ts);
                                expectedDead++;
                            }
                            traj.pipeInput(g, ser(serdes, s.trajectoriesTopic(), Fixtures.thinkReason(g, k, n, c.joint().get(k), ts)), ts);
                            if (c.kind() == Kind.DUPLICATE_ID && k == 0) {
                                Trajectory twin = Fixtures.thinkReason(g, n - 1, n, c.joint().get(n - 1), ts);
                                twin.setTrajectoryId(g + "/0");
                                traj.pipeInput(g, ser(serdes, s.trajectoriesTopic(), twin), ts);
                                expectedDead++;
                            }
                            cfs.pipeInput(g, ser(serdes, s.counterfactualsTopic(), Fixtures.solo(g, k, n, c.solo().get(k), ts)), ts);
                        }
                        expectedAdvantages.put(g, 2 * n);
                    }
                    case POISONED_GROUP -> {  // index 0 carries the extreme reward: the rest is credited after grace
                        for (int k = 0; k < n; k++) {
                            double r = k == 0 ? c.extreme() : c.joint().get(k);
                            traj.pipeInput(g, ser(serdes, s.trajectoriesTopic(), Fixtures.thinkReason(g, k, n, r, ts)), ts);
                            cfs.pipeInput(g, ser(serdes, s.counterfactualsTopic(), Fixtures.solo(g, k, n, c.solo().get(k), ts)), ts);
                        }
                        expectedDead += 2;  // the trajectory (invalid) and its counterfactual (no trajectory after grace)
                        expectedAdvantages.put(g, 2 * (n - 1));
                    }
                    case BAD_TRAJECTORY_REWARD -> {
                        traj.pipeInput(g, ser(serdes, s.trajectoriesTopic(), Fixtures.thinkReason(g, 0, 1, c.extreme(), ts)), ts);
                        expectedDead++;
                    }
                    case BAD_COUNTERFACTUAL_REWARD -> {
                        cfs.pipeInput(g, ser(serdes, s.counterfactualsTopic(), Fixtures.solo(g, 0, 1, c.extreme(), ts)), ts);
                        expectedDead++;
                    }
                    case BAD_GROUP_SIZE -> {
                        int size = c.seed() % 2 == 0 ? 0 : 1025 + (int) Math.floorMod(c.seed(), 100_000);
                        traj.pipeInput(g, ser(serdes, s.trajectoriesTopic(), Fixtures.thinkReason(g, 0, size, 1.0, ts)), ts);
                        expectedDead++;
                    }
                    case RANDOM_BYTES -> {
                        byte[] junk = new byte[1 + (int) Math.floorMod(c.seed(), 300)];
                        new java.util.Random(c.seed()).nextBytes(junk);
                        (c.seed() % 2 == 0 ? traj : cfs).pipeInput(g, junk, ts);
                        expectedDead++;
                    }
                }
            }
            // Let everything out: stream time past every group's grace (expiring the poisoned ones), then past the
            // windows of the expired groups, each followed by wall-clock ticks that release held groups.
            for (int round = 1; round <= 3; round++) {
                traj.pipeInput("tick", null, ts + round * 200_000L);
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                driver.advanceWallClockTime(Duration.ofSeconds(1));
            }
            // A group that only completed by expiry, in a role no on-time group opened, waits for the wall-clock
            // fallback (history.max.wait.ms = 120 s here): let it pass.
            driver.advanceWallClockTime(Duration.ofSeconds(130));
            driver.advanceWallClockTime(Duration.ofSeconds(130));

            List<AgentAdvantage> advs = out.readValuesToList();
            Map<String, Integer> got = new HashMap<>();
            for (AgentAdvantage a : advs) {
                got.merge(a.getGroupId(), 1, Integer::sum);
                assertTrue(Double.isFinite(a.getAdvantage()) && Math.abs(a.getAdvantage()) <= 100, at + "advantage " + a);
                assertTrue(Double.isFinite(a.getGlobalMean()) && Double.isFinite(a.getGlobalStd()), at + "history used " + a);
            }
            assertEquals(expectedAdvantages, got, at + "advantages per group, cases " + cases);
            List<DeadLetter> dead = dlq.readValuesToList();
            assertEquals(expectedDead, dead.size(), at + "dead letters " + dead + " for cases " + cases);
            for (DeadLetter d : dead) assertFalse(d.getReason().isBlank(), at + "a reason for " + d);
            for (RolloutStats r : stats.readValuesToList())
                for (dev.ccpo.avro.History h : List.of(r.getCreditHistory(), r.getJointHistory(), r.getCounterfactualHistory()))
                    assertTrue(Double.isFinite(h.getMean()) && Double.isFinite(h.getVariance()), at + "history " + r);
            assertEquals(0, counters.get("stats.non-finite"), at + "with rewards in [0, 1] nothing non-finite reaches the stats");
        } finally {
            try (var w = Files.walk(state)) {
                w.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static byte[] ser(RecordSerdes serdes, String topic, Object rec) {
        if (rec instanceof Trajectory t) return serdes.trajectory().serialize(topic, t);
        return serdes.counterfactual().serialize(topic, (CounterfactualOutcome) rec);
    }
}
