package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CreditTopologyTest {
    static final double TOL = 1e-9;

    RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
    CreditCounters counters = new CreditCounters();
    TopologyTestDriver driver;
    TestInputTopic<String, Trajectory> traj;
    TestInputTopic<String, CounterfactualOutcome> cfs;
    TestInputTopic<String, byte[]> rawTraj;
    TestOutputTopic<String, AgentAdvantage> out;
    TestOutputTopic<byte[], DeadLetter> dlq;
    TestOutputTopic<String, dev.ccpo.avro.RolloutStats> stats;

    /**
     * One wall-clock tick (punctuate.ms = 1 s): held groups whose stats arrived in the global store are
     * released on the next record or tick (on a broker the global store is updated by another thread).
     */
    void settle() { driver.advanceWallClockTime(Duration.ofMillis(1_000)); }

    /**
     * A heartbeat (null value) at the release point of window [0, 60 s) (window end + grace 0): every
     * group sent before it is released once its stats are in. Without it groups wait for their window.
     */
    void release() {
        rawTraj.pipeInput("tick", null, 60_000L);
        settle();
    }

    /** Sends a group and returns its advantages once released. */
    List<AgentAdvantage> group(String g, double[] joint, double[] solo, long ts) {
        sendThinkReason(g, joint, solo, ts);
        rawTraj.pipeInput("tick", null, (ts / 60_000 + 1) * 60_000);  // heartbeat to the group's window end
        settle();
        return out.readValuesToList();
    }

    void start(CreditMode mode) { start(Fixtures.settings(mode)); }

    void start(CreditSettings s) {
        driver = Harness.driver(s, stateDir, serdes, counters);
        stats = driver.createOutputTopic(s.statsTopic(), new StringDeserializer(), serdes.rolloutStats().deserializer());
        // Record timestamps drive stream time (watermarks): 0 unless a test gives one (never the wall clock).
        traj = driver.createInputTopic(s.trajectoriesTopic(), new StringSerializer(), serdes.trajectory().serializer(),
                java.time.Instant.EPOCH, Duration.ZERO);
        cfs = driver.createInputTopic(s.counterfactualsTopic(), new StringSerializer(), serdes.counterfactual().serializer(),
                java.time.Instant.EPOCH, Duration.ZERO);
        rawTraj = driver.createInputTopic(s.trajectoriesTopic(), new StringSerializer(), new ByteArraySerializer(),
                java.time.Instant.EPOCH, Duration.ZERO);
        out = driver.createOutputTopic(s.advantagesTopic(), new StringDeserializer(), serdes.advantage().deserializer());
        dlq = driver.createOutputTopic(s.dlqTopic(), new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                serdes.deadLetter().deserializer());
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    @AfterEach
    void close() { if (driver != null) driver.close(); }

    /** Sends a THINK_REASON group: joint rewards and solo rewards per index k. */
    void sendThinkReason(String g, double[] joint, double[] solo, long ts) {
        for (int k = 0; k < joint.length; k++) {
            traj.pipeInput(g, Fixtures.thinkReason(g, k, joint.length, joint[k], ts + k), ts + k);
            cfs.pipeInput(g, Fixtures.solo(g, k, joint.length, solo[k], ts + k), ts + k);
        }
    }

    static AgentAdvantage find(List<AgentAdvantage> l, int k, int agent) {
        return l.stream().filter(a -> a.getGroupIndex() == k && a.getAgentId() == agent).findFirst().orElseThrow();
    }

    @Test
    void thinkerHelped_warmUpSkipsNormalization() {
        start(CreditMode.CCPO);
        // joint = [1,1,1,0], solo = [0,0,1,0] -> Delta = [1,1,0,0]. History empty (count 0 < 10): warm-up, the
        // reference's shaping is skipped (Thinker r = raw Delta, Reasoner r = raw R_joint, no tanh, no gate).
        List<AgentAdvantage> l = group("g1", new double[]{1, 1, 1, 0}, new double[]{0, 0, 1, 0}, 1000);
        assertEquals(8, l.size());
        // Thinker: r1 = Delta = [1,1,0,0]; mean .5; unbiased std = sqrt(4 * .25 / 3) = 1/sqrt(3)
        // A1(k=0) = .5 / (1/sqrt3 + 1e-6) ~ sqrt(3)/2 = 0.866
        double std1 = 1 / Math.sqrt(3);
        assertEquals(0.5 / (std1 + 1e-6), find(l, 0, 0).getAdvantage(), TOL);
        assertEquals(-0.5 / (std1 + 1e-6), find(l, 3, 0).getAdvantage(), TOL);
        assertEquals(1.0, find(l, 0, 0).getMarginalContribution(), TOL);
        assertEquals(0.5, find(l, 0, 0).getGroupMean(), TOL);
        assertEquals(0, find(l, 0, 0).getHistoryCount());
        assertNull(find(l, 0, 0).getGate());
        // Reasoner: r2 = joint = [1,1,1,0]; mean .75; deviations [.25,.25,.25,-.75]; unbiased std = sqrt(.75/3) = .5
        // -> A2 = [.5, .5, .5, -1.5] (the issue's example; tanh and a .5 gate gave [0, 0, 1.2247, -1.2247]).
        assertNull(find(l, 2, 1).getGate(), "warm-up: no gate");
        assertEquals(0.25 / (0.5 + 1e-6), find(l, 0, 1).getAdvantage(), TOL);
        assertEquals(0.25 / (0.5 + 1e-6), find(l, 2, 1).getAdvantage(), TOL);
        assertEquals(-0.75 / (0.5 + 1e-6), find(l, 3, 1).getAdvantage(), TOL);
        for (AgentAdvantage a : l) {
            assertTrue(a.getGroupComplete());
            assertEquals(8, a.getGroupRecordCount());
            assertEquals(CreditMode.CCPO, a.getCreditMode());
            assertEquals(1003L, a.getCreatedAtMs().toEpochMilli(), "event time = the group's max createdAt");
            assertEquals(List.of(10 + a.getAgentId(), 20 + a.getAgentId()), a.getOutputTokenIds());
        }
    }

    @Test
    void truncatedTurn_zeroesEveryAgentsRewardOfItsEpisode_butStillCountsInTheStats() {
        start(CreditMode.CCPO);
        // joint [1,1,0,0], solo 0; episode 1's Thinker turn hit the length limit (Turn.truncated).
        // Warm-up: r1 = Delta = [1,1,0,0], r2 = joint = [1,1,0,0]; masked -> [1,0,0,0] for both;
        // mean .25, unbiased std sqrt((.75^2 + 3 * .25^2)/3) = .5 -> A = [1.5, -.5, -.5, -.5].
        String g = "gt";
        double[] joint = {1, 1, 0, 0};
        for (int k = 0; k < 4; k++) {
            dev.ccpo.avro.Turn thinker = Fixtures.turn(0, "thinker");
            thinker.setTruncated(k == 1);
            Trajectory t = Fixtures.trajectory(g, k, 4, Topology.THINK_REASON, List.of(thinker, Fixtures.turn(1, "reasoner")),
                    joint[k], 1000 + k);
            traj.pipeInput(g, t, 1000 + k);
            cfs.pipeInput(g, Fixtures.solo(g, k, 4, 0, 1000 + k), 1000 + k);
        }
        release();
        List<AgentAdvantage> l = out.readValuesToList();
        for (int agent = 0; agent < 2; agent++) {
            assertEquals(0.0, find(l, 1, agent).getShapedReward());
            assertEquals(0.75 / (0.5 + 1e-6), find(l, 0, agent).getAdvantage(), TOL);
            assertEquals(-0.25 / (0.5 + 1e-6), find(l, 1, agent).getAdvantage(), TOL);
        }
        // The statistics take the raw signals of every episode (reference: update() with the raw batch).
        List<dev.ccpo.avro.RolloutStats> st = stats.readValuesToList().stream().filter(r -> r.getCredit().getCount() > 0).toList();
        assertEquals(4, st.get(0).getCredit().getCount());
        assertEquals(0.5, st.get(0).getCredit().getMean(), TOL);
    }

    @Test
    void thinkerFreeRode_allEqualGivesZeroNotNaN() {
        start(CreditMode.CCPO);
        // joint = solo = [1,1,0,0] -> Delta = 0 everywhere -> r1 = tanh(0) = 0 for all -> A1 = 0 exactly.
        List<AgentAdvantage> l = group("g2", new double[]{1, 1, 0, 0}, new double[]{1, 1, 0, 0}, 1000);
        for (int k = 0; k < 4; k++) assertEquals(0.0, find(l, k, 0).getAdvantage());
        // Reasoner still learns from its own outcome: r2 = .5 joint + .5 solo = [1,1,0,0]; std = sqrt(1/3)
        assertEquals(0.5 / (Math.sqrt(1.0 / 3) + 1e-6), find(l, 0, 1).getAdvantage(), TOL);
    }

    @Test
    void allRewardsEqual_advantageZeroNoNaN() {
        start(CreditMode.CCPO);
        List<AgentAdvantage> l = group("g3", new double[]{1, 1, 1, 1}, new double[]{1, 1, 1, 1}, 1000);
        assertEquals(8, l.size());
        for (AgentAdvantage a : l) {
            assertEquals(0.0, a.getAdvantage());
            assertFalse(Double.isNaN(a.getGroupStd()));
        }
    }

    @Test
    void afterTenSamples_historyNormalizes() {
        start(CreditMode.CCPO);
        // Group A (10 episodes): Delta = [1 x5, 0 x5] -> first batch initializes the history:
        // Delta: count 10, mean .5, var .25 (std .5); joint: mean .5, std .5; solo: all 0 -> mean 0, std 0.
        double[] jA = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, sA = new double[10];
        assertEquals(20, group("gA", jA, sA, 1000).size());
        // Group B, in the next window [60 s, 120 s): its stream time 61 s closes window [0, 60 s) (grace 0),
        // so it is normalized with group A's window as history: count 10 (warm-up over).
        List<AgentAdvantage> l = group("gB", new double[]{1, 0}, new double[]{0, 0}, 61_000);
        AgentAdvantage th0 = find(l, 0, 0);
        assertEquals(10, th0.getHistoryCount());
        assertEquals(0.5, th0.getGlobalMean(), TOL);
        assertEquals(0.5, th0.getGlobalStd(), TOL);
        // z_Delta(k=0) = (1 - .5)/(.5 + 1e-6); r1 = tanh(z)
        double z = 0.5 / (0.5 + 1e-6);
        assertEquals(Math.tanh(z), th0.getShapedReward(), TOL);
        assertEquals(-Math.tanh(z), find(l, 1, 0).getShapedReward(), TOL);
        // gate = sigmoid(1 * .5/(.5+1e-6)) ~ sigmoid(1) = .7311
        assertEquals(1 / (1 + Math.exp(-z)), find(l, 0, 1).getGate(), TOL);
        // Reasoner: z_joint = +-z, z_solo = (0-0)/(1+1e-6) = 0 (all-zero solo history: sigma floored to 1) -> r2 = g * (+-z)
        assertEquals(find(l, 0, 1).getGate() * z, find(l, 0, 1).getShapedReward(), TOL);
        // Thinker A: r1 = [t,-t], unbiased std = t*sqrt2 -> A = t/(t sqrt2 + 1e-6) ~ .7071
        double t = Math.tanh(z);
        assertEquals(t / (t * Math.sqrt(2) + 1e-6), th0.getAdvantage(), TOL);
    }

    @Test
    void onCompleteRelease_emitsAtOnceWithTheNewestClosedHistory() {
        start(Fixtures.settings(CreditMode.CCPO, CreditSettings.Release.ON_COMPLETE));
        // Group A in window [0, 60 s): out as soon as its last record is in, no tick: empty history (warm-up).
        double[] jA = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, sA = new double[10];
        sendThinkReason("gA", jA, sA, 1000);
        List<AgentAdvantage> a = out.readValuesToList();
        assertEquals(20, a.size());
        assertEquals(0, find(a, 0, 0).getHistoryCount());
        // A heartbeat at 61 s closes window [0, 60 s) (grace 0). Groups B and C of window [60 s, 120 s) leave at once,
        // long before that window's end (where the window release would hold them), with A's window as history.
        rawTraj.pipeInput("tick", null, 61_000L);
        settle();
        sendThinkReason("gB", new double[]{1, 0}, new double[]{0, 0}, 61_000);
        List<AgentAdvantage> b = out.readValuesToList();
        assertEquals(4, b.size());
        AgentAdvantage th0 = find(b, 0, 0);
        assertEquals(10, th0.getHistoryCount());
        assertEquals(0.5, th0.getGlobalMean(), TOL);
        double t = Math.tanh(0.5 / (0.5 + 1e-6));  // as in afterTenSamples_historyNormalizes
        assertEquals(t / (t * Math.sqrt(2) + 1e-6), th0.getAdvantage(), TOL);
        sendThinkReason("gC", new double[]{0, 1}, new double[]{0, 0}, 62_000);
        List<AgentAdvantage> c = out.readValuesToList();
        assertEquals(4, c.size());
        assertEquals(10, find(c, 0, 0).getHistoryCount(), "B's window is still open: A's is the newest closed");
        // The signals of B and C still reach the statistics: once their window closes the history holds 14 samples.
        rawTraj.pipeInput("tick", null, 121_000L);
        settle();
        sendThinkReason("gD", new double[]{1, 0}, new double[]{0, 0}, 122_000);
        assertEquals(14, find(out.readValuesToList(), 0, 0).getHistoryCount());
    }

    @Test
    void votingPivotalAndNonPivotalVoter() {
        start(CreditMode.CCPO);
        String g = "gv";
        // Episode 0: team right (1); without voter 0 the majority flips (R_-0 = 0): pivotal, c = 1;
        // voters 1 and 2: R_-k = 1, c = 0. Episode 1: team wrong, every R_-k = 0, c = 0.
        double[][] minus = {{0, 1, 1}, {0, 0, 0}};
        double[] joint = {1, 0};
        for (int k = 0; k < 2; k++) {
            traj.pipeInput(g, Fixtures.voting(g, k, 2, 3, joint[k], 500));
            for (int v = 0; v < 3; v++) cfs.pipeInput(g, Fixtures.cf(g, k, 2, Topology.VOTING, v, "voter", minus[k][v], 500));
        }
        release();
        List<AgentAdvantage> l = out.readValuesToList();
        assertEquals(6, l.size());
        // Warm-up: r = raw c. Voter 0: r = [1, 0], mean .5, unbiased std 1/sqrt2 -> A = .5/(1/sqrt2 + 1e-6) ~ .7071
        assertEquals(0.5 / (1 / Math.sqrt(2) + 1e-6), find(l, 0, 0).getAdvantage(), TOL);
        assertEquals(1.0, find(l, 0, 0).getMarginalContribution(), TOL);
        // Voters 1, 2: r = [0, 0] -> A = 0 exactly.
        assertEquals(0.0, find(l, 0, 1).getAdvantage());
        assertEquals(0.0, find(l, 1, 2).getAdvantage());
        assertEquals(6, find(l, 1, 2).getGroupRecordCount());
    }

    @Test
    void sharedMode_everyAgentGetsTeamReward() {
        start(CreditMode.SHARED);
        // joint [1,0,0,0]: mean .25, unbiased std = sqrt((.75^2 + 3 * .25^2)/3) = .5 -> A(0) = .75/(.5+1e-6)
        List<AgentAdvantage> l = group("gs", new double[]{1, 0, 0, 0}, new double[]{1, 1, 1, 1}, 1000);
        for (int agent = 0; agent < 2; agent++) {
            assertEquals(0.75 / (0.5 + 1e-6), find(l, 0, agent).getAdvantage(), TOL);
            assertEquals(find(l, 0, agent).getReward(), find(l, 0, agent).getCounterfactualReward());
            assertEquals(CreditMode.SHARED, find(l, 0, agent).getCreditMode());
        }
    }

    @Test
    void bonusMode_plusMinusOneWithBonusNoStdDivision() {
        start(CreditMode.CCPO_BONUS);
        // joint [1,1,0,0], solo [0,0,0,1]: solo baseline = mean .25 -> wrong. bonus = +1 where joint right: k=0,1.
        // r_thinker = +-1 + .2 bonus = [1.2,1.2,-1,-1], mean .1 -> A = r - .1 = [1.1,1.1,-1.1,-1.1]
        // r_reasoner = [1,1,-1,-1], mean 0 -> A = [1,1,-1,-1]
        List<AgentAdvantage> l = group("gb", new double[]{1, 1, 0, 0}, new double[]{0, 0, 0, 1}, 1000);
        assertEquals(1.1, find(l, 0, 0).getAdvantage(), TOL);
        assertEquals(-1.1, find(l, 3, 0).getAdvantage(), TOL);
        assertEquals(1.0, find(l, 1, 1).getAdvantage(), TOL);
        assertEquals(-1.0, find(l, 2, 1).getAdvantage(), TOL);
    }

    @Test
    void outOfOrderAndDuplicates_sameResultDuplicatesDeadLettered() {
        start(CreditMode.CCPO);
        String g = "go";
        double[] joint = {1, 1, 1, 0}, solo = {0, 0, 1, 0};
        // Counterfactuals first, trajectories in reverse order, one duplicate trajectory and one duplicate counterfactual.
        for (int k = 0; k < 4; k++) cfs.pipeInput(g, Fixtures.solo(g, k, 4, solo[k], 1000 + k));
        cfs.pipeInput(g, Fixtures.solo(g, 1, 4, solo[1], 1001));
        for (int k = 3; k >= 1; k--) traj.pipeInput(g, Fixtures.thinkReason(g, k, 4, joint[k], 1000 + k));
        traj.pipeInput(g, Fixtures.thinkReason(g, 2, 4, 0.0, 1002));  // duplicate id, different reward: must not count
        assertTrue(out.isEmpty(), "group incomplete until trajectory 0 arrives");
        traj.pipeInput(g, Fixtures.thinkReason(g, 0, 4, joint[0], 1000));
        release();
        List<AgentAdvantage> l = out.readValuesToList();
        assertEquals(8, l.size());
        double std1 = 1 / Math.sqrt(3);  // same arithmetic as thinkerHelped_warmUpSkipsNormalization
        assertEquals(0.5 / (std1 + 1e-6), find(l, 0, 0).getAdvantage(), TOL);
        assertEquals(1.0, find(l, 2, 0).getReward(), "the duplicate's reward 0 was ignored");
        List<DeadLetter> d = dlq.readValuesToList();
        assertEquals(2, d.size());
        assertTrue(d.stream().allMatch(x -> x.getErrorClass().equals("Duplicate")));
        assertEquals(2, counters.get("dlq.Duplicate"));
        // A record after emission is late: dead-lettered, nothing re-emitted.
        traj.pipeInput(g, Fixtures.thinkReason(g, 1, 4, 1.0, 1001));
        assertTrue(out.isEmpty());
        assertEquals("LateRecord", dlq.readValue().getErrorClass());
    }

    @Test
    void gracePeriod_incompleteGroupEmittedWithWhatItHas() {
        start(CreditMode.CCPO);
        String g = "gi";
        for (int k = 0; k < 3; k++) {
            traj.pipeInput(g, Fixtures.thinkReason(g, k, 4, k == 0 ? 1 : 0, 1000));
            cfs.pipeInput(g, Fixtures.solo(g, k, 4, 0, 1000));
        }
        cfs.pipeInput(g, Fixtures.solo(g, 3, 4, 0, 1000));  // trajectory 3 never arrives
        assertTrue(out.isEmpty());
        driver.advanceWallClockTime(Duration.ofMillis(61_000));  // grace 60 s, no stream progress: input stopped
        release();  // the expired group is held for its window's stats like any other
        List<AgentAdvantage> l = out.readValuesToList();
        assertEquals(6, l.size());
        assertTrue(l.stream().noneMatch(AgentAdvantage::getGroupComplete));
        assertTrue(l.stream().allMatch(a -> a.getGroupRecordCount() == 6));
        assertDeadLetter("Incomplete", "unseen trajectory 3");
        assertEquals(1, counters.get("groups.expired"));
    }

    @Test
    void poisonBytesAndNaNReward_goToDlq() {
        start(CreditMode.CCPO);
        byte[] poison = "not avro".getBytes(StandardCharsets.UTF_8);
        rawTraj.pipeInput("gp", poison);
        DeadLetter d = dlq.readValue();
        assertEquals("Deserialization", d.getErrorClass());
        assertEquals("ccpo.trajectories", d.getSourceTopic());
        assertArrayEquals(poison, d.getValue().array());
        traj.pipeInput("gn", Fixtures.thinkReason("gn", 0, 1, Double.NaN, 1000));
        assertDeadLetter("Invalid", "reward NaN outside the reward domain [0.0, 1.0]");
        // mismatched groupSize within a group
        traj.pipeInput("gm", Fixtures.thinkReason("gm", 0, 4, 1, 1000));
        traj.pipeInput("gm", Fixtures.thinkReason("gm", 1, 3, 1, 1000));
        assertTrue(dlq.readValue().getReason().contains("groupSize 3 differs from 4"));
        assertTrue(out.isEmpty());
    }

    /** Every history the stats task published so far is finite (mean, variance of each signal). */
    void assertHistoriesFinite() {
        for (dev.ccpo.avro.RolloutStats r : stats.readValuesToList())
            for (dev.ccpo.avro.History h : List.of(r.getCreditHistory(), r.getJointHistory(), r.getCounterfactualHistory()))
                assertTrue(Double.isFinite(h.getMean()) && Double.isFinite(h.getVariance()), "history " + r);
    }

    /** Issue 18: one finite but absurd reward used to make the global history NaN forever. */
    @Test
    void absurdRewardsAreDeadLetteredAndTheHistoryStaysFinite() {
        start(CreditMode.CCPO);
        traj.pipeInput("ga", Fixtures.thinkReason("ga", 0, 2, 1e300, 1000), 1000);
        cfs.pipeInput("ga", Fixtures.solo("ga", 1, 2, -1e300, 1000), 1000);
        List<DeadLetter> d = dlq.readValuesToList();
        assertEquals(2, d.size(), d.toString());
        assertTrue(d.get(0).getReason().contains("reward 1.0E300 outside the reward domain [0.0, 1.0] (reward.min, reward.max)"), d.get(0).getReason());
        assertTrue(d.get(1).getReason().contains("counterfactual meanReward -1.0E300 outside the reward domain"), d.get(1).getReason());
        assertEquals(2, counters.get("dlq.Invalid"));
        // the valid groups around them are credited with a finite history
        sendThinkReason("gv1", new double[]{1, 0, 1, 0}, new double[]{0, 0, 1, 1}, 2000);
        sendThinkReason("gv2", new double[]{1, 1, 0, 0}, new double[]{0, 1, 0, 1}, 70_000);
        rawTraj.pipeInput("tick", null, 140_000L);
        settle();
        List<AgentAdvantage> l = out.readValuesToList();
        assertEquals(16, l.size());
        assertTrue(l.stream().allMatch(a -> Double.isFinite(a.getAdvantage()) && Double.isFinite(a.getGlobalStd())), l.toString());
        assertHistoriesFinite();
    }

    /**
     * With a reward domain wide enough (a setting), two groups whose signals are each finite but whose merged window
     * would overflow (+-1e154: the squared difference is 4e308): the stats task keeps the old history and says so.
     */
    @Test
    void aWindowThatWouldOverflowTheHistoryIsNotFolded() {
        start(Fixtures.settings(CreditMode.CCPO, Fixtures.stats(), new dev.ccpo.worker.ValueDomains(-1e300, 1e300)));
        sendThinkReason("gx1", new double[]{1e154, 1e154}, new double[]{1e154, 1e154}, 1000);
        sendThinkReason("gx2", new double[]{-1e154, -1e154}, new double[]{-1e154, -1e154}, 2000);
        release();
        assertEquals(1, counters.get("stats.non-finite"), "the window was refused once");
        assertHistoriesFinite();
        List<AgentAdvantage> l = out.readValuesToList();
        assertEquals(8, l.size(), "both groups are still credited, with the history as it was");
        assertTrue(l.stream().allMatch(a -> Double.isFinite(a.getAdvantage())), l.toString());
    }

    /** A group whose own signals overflow (a reward of 1e200 squared) is dead-lettered whole, never counted. */
    @Test
    void aGroupWithNonFiniteSignalsIsDeadLetteredWhole() {
        start(Fixtures.settings(CreditMode.CCPO, Fixtures.stats(), new dev.ccpo.worker.ValueDomains(-1e300, 1e300)));
        sendThinkReason("gy", new double[]{1e200, -1e200}, new double[]{0, 0}, 1000);
        release();
        assertTrue(out.isEmpty());
        List<DeadLetter> d = dlq.readValuesToList();
        assertEquals(4, d.size(), "two trajectories and two counterfactuals: " + d);
        assertTrue(d.stream().allMatch(x -> x.getErrorClass().equals("NonFinite") && x.getReason().contains("non-finite credit signals")), d.toString());
        assertEquals(1, counters.get("groups.non-finite"));
        assertHistoriesFinite();
    }

    /** Issue 18: a counterfactual is paired by the trajectory id it names, never by its slot alone. */
    @Test
    void aCounterfactualNamingAnotherTrajectoryIsDeadLetteredAndTheGenuineOneUsed() {
        start(CreditMode.CCPO);
        String g = "gf";
        // before its trajectory arrives: buffered apart, dead-lettered when the group completes
        CounterfactualOutcome early = Fixtures.solo(g, 0, 2, 1.0, 1000);
        early.setTrajectoryId("elsewhere/0");
        cfs.pipeInput(g, early, 1000);
        traj.pipeInput(g, Fixtures.thinkReason(g, 0, 2, 1.0, 1000), 1000);
        // after its trajectory arrived: refused at once
        CounterfactualOutcome late = Fixtures.solo(g, 0, 2, 1.0, 1000);
        late.setTrajectoryId("gf/1");
        cfs.pipeInput(g, late, 1000);
        assertDeadLetter("JoinMismatch", "counterfactual names trajectory gf/1 at groupIndex 0 but group gf holds trajectory gf/0 at groupIndex 0");
        // the genuine ones are not "duplicates"
        cfs.pipeInput(g, Fixtures.solo(g, 0, 2, 0.0, 1000), 1000);
        traj.pipeInput(g, Fixtures.thinkReason(g, 1, 2, 0.0, 1001), 1001);
        cfs.pipeInput(g, Fixtures.solo(g, 1, 2, 0.0, 1001), 1001);
        release();
        List<AgentAdvantage> l = out.readValuesToList();
        assertEquals(4, l.size());
        assertEquals(0.0, find(l, 0, 0).getCounterfactualReward(), "the genuine counterfactual (solo 0), not the foreign one (1)");
        assertEquals(1.0, find(l, 0, 0).getMarginalContribution());
        assertDeadLetter("Incomplete", "(elsewhere/0) of group gf after grace: no trajectory of the group has that id");
        assertTrue(dlq.isEmpty());
        assertEquals(0, counters.get("dlq.Duplicate"));
    }

    /** Issue 18: two different trajectories with one id in a group: the second is dead-lettered. */
    @Test
    void aSecondTrajectoryWithAnIdAlreadyInTheGroupIsDeadLettered() {
        start(CreditMode.CCPO);
        String g = "gd";
        traj.pipeInput(g, Fixtures.thinkReason(g, 0, 2, 1.0, 1000), 1000);
        Trajectory twin = Fixtures.thinkReason(g, 1, 2, 0.0, 1000);
        twin.setTrajectoryId("gd/0");
        traj.pipeInput(g, twin, 1000);
        assertDeadLetter("JoinMismatch", "trajectory id gd/0 at groupIndex 1 is already in group gd at groupIndex 0");
        Trajectory squatter = Fixtures.thinkReason(g, 0, 2, 0.0, 1000);
        squatter.setTrajectoryId("gd/9");
        traj.pipeInput(g, squatter, 1000);
        assertTrue(dlq.readValue().getReason().contains("groupIndex 0 of group gd already holds trajectory gd/0, not gd/9"));
        cfs.pipeInput(g, Fixtures.solo(g, 0, 2, 0.0, 1000), 1000);
        traj.pipeInput(g, Fixtures.thinkReason(g, 1, 2, 0.0, 1001), 1001);
        cfs.pipeInput(g, Fixtures.solo(g, 1, 2, 0.0, 1001), 1001);
        release();
        assertEquals(4, out.readValuesToList().size(), "the group is credited with its genuine trajectories");
        assertTrue(dlq.isEmpty());
    }

    /** The next dead letter has this error class and a reason containing this text. */
    private void assertDeadLetter(String errorClass, String reasonPart) {
        DeadLetter d = dlq.readValue();
        assertEquals(errorClass, d.getErrorClass(), d.getReason());
        assertTrue(d.getReason().contains(reasonPart), d.getReason());
    }
}
