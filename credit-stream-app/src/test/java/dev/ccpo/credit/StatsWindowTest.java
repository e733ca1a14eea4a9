package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.RolloutStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.ccpo.credit.Harness.find;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Windowed global statistics through the whole topology (group task -> one-partition stats task ->
 * ccpo.rollout-stats -> global store -> held groups). Window 60 s; grace 0 unless said; one input partition.
 */
class StatsWindowTest {
    static final double TOL = 1e-12;
    @TempDir Path dir;
    Harness h;

    @AfterEach
    void close() { if (h != null) h.close(); }

    Harness start(CreditSettings.Stats st) {
        h = new Harness(Fixtures.settings(CreditMode.CCPO, st), dir);
        return h;
    }

    static CreditSettings.Stats stats(long graceMs, String history, int windows, long maxWaitMs) {
        return new CreditSettings.Stats(60_000L, graceMs, history, windows, 1, maxWaitMs, 120_000L, 1);
    }

    static RolloutStats windowRecord(List<RolloutStats> l, long windowEndMs) {
        List<RolloutStats> m = l.stream().filter(r -> r.getWindowEndMs().toEpochMilli() == windowEndMs
                && r.getCredit().getCount() > 0).toList();
        assertEquals(1, m.size(), "one published record with data for the window ending at " + windowEndMs + ": " + l);
        return m.get(0);
    }

    @Test
    void windowClose_chanMergeAcrossGroups_publishesRolloutStats() {
        start(Fixtures.stats());
        // Window [0, 60 s): three groups of two episodes.
        //   g1 joint [1,1] solo [0,1] -> Delta [1,0]  (n 2, mean .5, M2 .5)
        //   g2 joint [1,1] solo [0,0] -> Delta [1,1]  (n 2, mean 1,  M2 0)
        //   g3 joint [0,0] solo [1,0] -> Delta [-1,0] (n 2, mean -.5, M2 .5)
        // Chan g1+g2: n 4, d .5, mean .75, M2 .5 + 0 + .25*2*2/4 = .75
        //      +g3:   n 6, d -1.25, mean .75 - 1.25*2/6 = 1/3, M2 .75 + .5 + 1.5625*4*2/6 = 10/3
        // (directly: [1,0,1,1,-1,0], mean 1/3, sum of squared deviations 3(2/3)^2 + 2(1/3)^2 + (4/3)^2 = 30/9).
        // Joint [1,1,1,1,0,0]: mean 2/3, M2 4(1/3)^2 + 2(2/3)^2 = 4/3. Solo [0,1,0,0,1,0]: mean 1/3, M2 4/3.
        h.send("g1", new double[]{1, 1}, new double[]{0, 1}, 1_000);
        h.send("g2", new double[]{1, 1}, new double[]{0, 0}, 2_000);
        h.send("g3", new double[]{0, 0}, new double[]{1, 0}, 3_000);
        h.tick(60_000);  // window end + grace 0: the window closes, g1..g3 are released (empty history)
        assertEquals(12, h.out.readValuesToList().size());
        // g4 (window [60 s, 120 s)) is normalized with the history after window [0, 60 s).
        List<AgentAdvantage> l = h.group("g4", new double[]{1, 0}, new double[]{0, 0}, 61_000);
        List<RolloutStats> published = h.stats.readValuesToList();
        RolloutStats w = windowRecord(published, 60_000);
        assertEquals("thinker", w.getRole());
        assertEquals(0, w.getWindowStartMs().toEpochMilli());
        assertEquals(6, w.getCredit().getCount());
        assertEquals(1.0 / 3, w.getCredit().getMean(), TOL);
        assertEquals(10.0 / 3, w.getCredit().getM2(), TOL);
        assertEquals(2.0 / 3, w.getJoint().getMean(), TOL);
        assertEquals(4.0 / 3, w.getJoint().getM2(), TOL);
        assertEquals(1.0 / 3, w.getCounterfactual().getMean(), TOL);
        assertEquals(4.0 / 3, w.getCounterfactual().getM2(), TOL);
        // First window initializes the EMA: count 6, mean 1/3, variance M2/n = 5/9.
        assertEquals(6, w.getCreditHistory().getCount());
        assertEquals(5.0 / 9, w.getCreditHistory().getVariance(), TOL);
        assertEquals("ema", w.getHistoryKind());
        assertEquals(60_000L, w.getClosedThroughMs());
        AgentAdvantage th = find(l, 0, 0);
        assertEquals(6, th.getHistoryCount());
        assertEquals(1.0 / 3, th.getGlobalMean(), TOL);
        assertEquals(Math.sqrt(5.0 / 9), th.getGlobalStd(), TOL);
        assertEquals(1.0, th.getShapedReward(), TOL, "6 < 10 samples: warm-up, r = raw Delta = 1 (no tanh)");
        assertNull(find(l, 0, 1).getGate(), "warm-up: no gate");
        assertEquals(1.0, find(l, 0, 1).getShapedReward(), TOL, "warm-up: the Reasoner's r = raw R_joint");
    }

    @Test
    void emaOverTwoClosedWindows() {
        start(Fixtures.stats());
        // Window A [0, 60 s): Delta = joint = [1 x5, 0 x5], solo 0 -> mean .5, variance .25 (initializes).
        double[] jA = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
        h.group("gA", jA, new double[10], 1_000);
        // Window B [60 s, 120 s): Delta = joint = [1,1,1,1] -> mean 1, variance 0.
        assertEquals(8, h.group("gB", new double[]{1, 1, 1, 1}, new double[4], 61_000).size());
        // gC at 121 s closes B (one group, history.batch.groups 1: beta = .99^1). Reference form:
        // mu = .99*.5 + .01*1 = .505; m2 = .99*.25 + .01*0 = .2475; count 14.
        // gC is the sigma-floor example: joint [1,1,0,0], solo [0,1,1,0].
        List<AgentAdvantage> l = h.group("gC", new double[]{1, 1, 0, 0}, new double[]{0, 1, 1, 0}, 121_000);
        AgentAdvantage th = find(l, 0, 0);
        double mu = 0.505, sd = Math.sqrt(0.2475);
        assertEquals(14, th.getHistoryCount());
        assertEquals(mu, th.getGlobalMean(), TOL);
        assertEquals(sd, th.getGlobalStd(), TOL);
        assertEquals(Math.tanh((1 - mu) / (sd + 1e-6)), th.getShapedReward(), TOL);
        // Reasoner: joint history equals Delta's here; solo history all zeros: m2 0 <= 1e-6 -> sigma 1 (reference
        // floor), z_solo = solo/(1 + 1e-6). gate g = sigmoid(mu/(sd + 1e-6)) = .73401; r2(k=0) = g (1 - mu)/(sd + 1e-6).
        AgentAdvantage re = find(l, 0, 1);
        double g = 1 / (1 + Math.exp(-mu / (sd + 1e-6)));
        assertEquals(g, re.getGate(), TOL);
        assertEquals(g * (1 - mu) / (sd + 1e-6), re.getShapedReward(), TOL);
        // The Reasoner's advantages, worked by hand in CreditRuleTest.sigmaFloor_referenceExample_noSignFlips:
        // [.699, 1.006, -.699, -1.006] (a 1e-6 floor gave [-.866, .866, .866, -.866]).
        double[] a = new double[4];
        for (int k = 0; k < 4; k++) a[k] = find(l, k, 1).getAdvantage();
        assertArrayEquals(new double[]{0.699, 1.006, -0.699, -1.006}, a, 1e-3);
    }

    @Test
    void hoppingHistory_poolsOnlyTheLastWindows() {
        start(stats(0, "hopping", 2, 120_000));
        h.group("gA", new double[]{1, 1}, new double[2], 1_000);     // window 0: Delta [1,1]
        h.group("gB", new double[]{0, 0}, new double[2], 61_000);    // window 1: Delta [0,0]
        // gC (window 2) sees windows 0 and 1 pooled: [1,1,0,0] -> count 4, mean .5, variance .25.
        AgentAdvantage c = find(h.group("gC", new double[]{1, 0}, new double[2], 121_000), 0, 0);
        assertEquals(4, c.getHistoryCount());
        assertEquals(0.5, c.getGlobalMean(), TOL);
        assertEquals(0.5, c.getGlobalStd(), TOL);
        // gD (window 3) sees only windows 1 and 2 (history.windows = 2): [0,0,1,0] -> mean .25,
        // variance (3 * .25^2 + .75^2)/4 = .75/4 = .1875. An EMA would still carry window 0.
        AgentAdvantage d = find(h.group("gD", new double[]{1, 0}, new double[2], 181_000), 0, 0);
        assertEquals(4, d.getHistoryCount());
        assertEquals(0.25, d.getGlobalMean(), TOL);
        assertEquals(Math.sqrt(0.1875), d.getGlobalStd(), TOL);
        assertTrue(h.stats.readValuesToList().stream().allMatch(r -> "hopping".equals(r.getHistoryKind())));
    }

    @Test
    void groupHeldUntilItsWindowEndAndTheStatsOfTheWindowsBefore() {
        start(stats(5_000, "ema", 10, 120_000));
        // g1 in window [60 s, 120 s) is released when this partition's stream time reaches its window end
        // + grace (125 s: every on-time group of the window here is then complete) and the stats watermark
        // reached 60 s (window [0, 60 s) closed: every partition past 65 s).
        h.send("g1", new double[]{1, 0}, new double[]{0, 0}, 61_000);
        h.tick(70_000);
        assertTrue(h.out.isEmpty(), "held: stream time 70 s < 125 s");
        assertEquals(1, h.counters.get("groups.held"));
        assertTrue(h.stats.readValuesToList().stream().anyMatch(r -> r.getClosedThroughMs() == 0L));
        h.tick(125_000);
        List<AgentAdvantage> l = h.out.readValuesToList();
        assertEquals(4, l.size());
        assertTrue(l.stream().allMatch(a -> a.getGroupId().equals("g1") && a.getGroupComplete()));
        assertTrue(h.stats.readValuesToList().stream().anyMatch(r -> r.getClosedThroughMs() == 120_000L));
        assertEquals(0, h.counters.get("groups.history-timeout"));
    }

    @Test
    void heldUntilEveryInputPartitionPassed_thenIdleFallback() {
        // Two input partitions; the driver only feeds partition 0, so partition 1 never reports a watermark:
        // no window can close (the stats wait for every partition) until partition 1 counts as idle
        // (silent for history.max.wait.ms / 2 = 5 s of wall clock).
        start(new CreditSettings.Stats(60_000L, 0L, "ema", 10, 1, 10_000L, 120_000L, 2));
        h.send("g1", new double[]{1, 0}, new double[]{0, 0}, 1_000);
        h.tick(60_000);
        assertTrue(h.out.isEmpty(), "own window passed, but no stats: partition 1 has not passed 0 s");
        assertTrue(h.stats.readValuesToList().isEmpty());
        h.driver.advanceWallClockTime(Duration.ofMillis(5_000));  // 6 s since start: partition 1 idle
        h.settle();
        assertEquals(4, h.out.readValuesToList().size());
        assertEquals(1, h.counters.get("stats.idle-close"));
        assertEquals(0, h.counters.get("groups.history-timeout"), "released by the stats, not by the group fallback");
    }

    @Test
    void groupOfAPartitionThatTheIdleFallbackLeftBehind_countsOnceInTheFirstOpenWindow() {
        // As above: partition 1 is idle, so window [0, 60 s) closes without it. Then partition 1's group g-p1
        // (event time 30 s, its watermark 30 s: on time by its own order) reaches the stats task: its window is
        // closed, so it counts in the first open one, [60 s, 120 s), and is not left out.
        start(new CreditSettings.Stats(60_000L, 0L, "ema", 10, 1, 10_000L, 120_000L, 2));
        h.send("g1", new double[]{1, 0}, new double[]{0, 0}, 1_000);
        h.tick(60_000);
        h.driver.advanceWallClockTime(Duration.ofMillis(5_000));
        h.settle();
        assertEquals(1, h.counters.get("stats.idle-close"));
        var repartition = h.driver.createInputTopic("ccpo-credit-test-" + CreditTopology.STATS_REPARTITION + "-repartition",
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
        repartition.pipeInput("thinker", StatsMessage.signals(1, 30_000, 30_000, "thinker", Stat.of(new double[]{1, 1}),
                Stat.of(new double[]{1, 1}), Stat.of(new double[]{0, 0}), "g-p1").encode(), 30_000);
        assertEquals(1, h.counters.get("stats.after-idle-close"));
        h.tick(120_000);  // partition 0 passes 120 s; partition 1 still idle: [60 s, 120 s) closes
        h.driver.advanceWallClockTime(Duration.ofMillis(5_000));
        h.settle();
        RolloutStats w = windowRecord(h.stats.readValuesToList(), 120_000);
        assertEquals(2, w.getCredit().getCount(), "g-p1's two episodes, in the first open window");
        assertEquals(4, w.getCreditHistory().getCount(), "g1 and g-p1: every group counted once");
        assertEquals(0, h.counters.get(StatsProcessor.EXCLUDED));
    }

    @Test
    void maxWaitFallback_emitsWithAvailableHistoryWhenStatsStall() {
        start(stats(5_000, "ema", 10, 10_000));
        h.send("g1", new double[]{1, 0}, new double[]{0, 0}, 61_000);  // input then stops at 61 s < 65 s
        h.settle();
        h.driver.advanceWallClockTime(Duration.ofMillis(4_000));
        assertTrue(h.out.isEmpty(), "5 s held: still waiting (max wait 10 s)");
        h.driver.advanceWallClockTime(Duration.ofMillis(6_000));
        List<AgentAdvantage> l = h.out.readValuesToList();
        assertEquals(4, l.size(), "11 s held and stats stalled > 5 s: fallback");
        assertEquals(1, h.counters.get("groups.history-timeout"));
        assertEquals(0, find(l, 0, 0).getHistoryCount(), "history available: none closed yet");
    }

    @Test
    void lateGroup_countsOnceInTheWindowOpenWhenItCompletes() {
        start(stats(0, "ema", 10, 120_000));
        h.group("g1", new double[]{1, 0}, new double[]{0, 0}, 61_000);  // stream time 120 s: windows to 120 s closed
        // g0's event time 5 s is in a closed window: late by its own partition's watermark (120 s). It is
        // normalized with the history before its own window (empty) and counted in the window open at
        // 120 s - grace 0: [120 s, 180 s).
        List<AgentAdvantage> l = h.group("g0", new double[]{1, 1}, new double[]{0, 0}, 5_000);
        assertEquals(4, l.size());
        assertEquals(1, h.counters.get("stats.late"));
        h.tick(180_000);  // closes [120 s, 180 s)
        RolloutStats w = windowRecord(h.stats.readValuesToList(), 180_000);
        assertEquals(2, w.getCredit().getCount(), "g0's two episodes count in the window open when it completed");
        assertEquals(1.0, w.getCredit().getMean(), TOL);
        // History: g1's window [60 s, 120 s) initialized it (Delta [1,0]: n 2, mean .5, var .25), then g0's
        // (mean 1, var 0, one group: beta .99): mean .99*.5 + .01*1 = .505, count 4: every group counted once.
        assertEquals(4, w.getCreditHistory().getCount());
        assertEquals(0.505, w.getCreditHistory().getMean(), TOL);
        assertEquals(0, h.counters.get(StatsProcessor.EXCLUDED));
    }

    @Test
    void decayPerLearnerBatch_derivedFromTheGroupsAWindowHolds() {
        // history.batch.groups = 2. Window A (two groups, Delta [1,1] and [0,0]) initializes: mean .5, var .25.
        // Window B holds four groups of Delta [1,1]: 4/2 = 2 learner batches -> beta = .99^2 = .9801, the same as
        // the reference folding two batches of mean 1, var 0 one after the other:
        //   batch 1: mu = .99*.5 + .01 = .505, m2 = .99*.25 = .2475; batch 2: mu = .99*.505 + .01 = .50995,
        //   m2 = .99*.2475 = .245025. And .9801*.5 + .0199*1 = .50995, .9801*.25 = .245025.
        start(new CreditSettings.Stats(60_000L, 0L, "ema", 10, 2, 120_000L, 120_000L, 1));
        h.send("a1", new double[]{1, 1}, new double[2], 1_000);
        h.send("a2", new double[]{0, 0}, new double[2], 2_000);
        for (int i = 0; i < 4; i++) h.send("b" + i, new double[]{1, 1}, new double[2], 61_000 + i * 1_000);
        AgentAdvantage c = find(h.group("c", new double[]{1, 0}, new double[2], 121_000).stream()
                .filter(x -> x.getGroupId().equals("c")).toList(), 0, 0);
        assertEquals(12, c.getHistoryCount());
        assertEquals(0.50995, c.getGlobalMean(), TOL);
        assertEquals(Math.sqrt(0.245025), c.getGlobalStd(), TOL);
    }

    @Test
    void dedupStore_forgetsGroupsAfterRetentionInStreamTime() {
        start(Fixtures.stats());  // dedup.retention.ms = 120 s
        assertEquals(4, h.group("g1", new double[]{1, 0}, new double[]{0, 0}, 1_000).size());  // completed at 1.001 s
        h.traj.pipeInput("g1", Fixtures.thinkReason("g1", 0, 2, 1, 100_000), 100_000);
        assertEquals(1, h.counters.get("dlq.LateRecord"), "remembered: 100 s - 1 s < 120 s");
        h.tick(200_000);  // stream-time punctuation purges ids completed before 200 s - 120 s = 80 s
        h.traj.pipeInput("g1", Fixtures.thinkReason("g1", 0, 2, 1, 200_000), 200_000);
        assertEquals(1, h.counters.get("dlq.LateRecord"), "forgotten: the record opens a new group instead");
        assertEquals(0, h.counters.get("dlq.Duplicate"));
    }
}
