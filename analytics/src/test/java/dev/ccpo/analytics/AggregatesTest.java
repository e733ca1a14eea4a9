package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.infra.SampleRecords;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AggregatesTest {
    private static final long NOW = 1_800_000_000_000L;

    private static Aggregates fed(RunRecords r) {
        Aggregates a = new Aggregates(-3, 3, 24);
        r.trajectories.forEach(x -> a.onTrajectory(x, NOW));
        r.counterfactuals.forEach(x -> a.onCounterfactual(x, NOW));
        r.advantages.forEach(x -> a.onAdvantage(x, NOW));
        r.stats.forEach(a::onRolloutStats);
        r.weights.forEach(x -> a.onWeights(x, NOW));
        return a;
    }

    @Test
    void accuracyAndMeanRewardPerVersionMatchTheRecords() {
        RunRecords r = new RunRecords(1, 3, 4, 3, Instant.ofEpochMilli(NOW));
        ObjectNode s = fed(r).summary(NOW, null);
        assertEquals(3, s.get("versions").size());
        for (JsonNode v : s.get("versions")) {
            long version = v.get("policyVersion").asLong();
            assertEquals(16, v.get("trajectories").asLong());
            assertEquals(r.perVersion.get(version)[1], v.get("correct").asLong());
            assertEquals(r.accuracy(version), v.get("accuracy").asDouble(), 1e-12);
        }
        assertEquals(48, s.get("team").get("trajectories").asLong());
        assertTrue(s.get("lag").isNull());
    }

    @Test
    void meanRewardAndAccuracyDifferForPartialRewards() {
        Aggregates a = new Aggregates(-3, 3, 24);
        for (double reward : new double[] {1.0, 0.6, 0.2, 0.0})
            a.onTrajectory(Trajectory.newBuilder(SampleRecords.trajectory()).setReward(reward).build(), NOW);
        JsonNode v = a.summary(NOW, null).get("versions").get(0);
        assertEquals(0.5, v.get("accuracy").asDouble(), 1e-12, "1.0 and 0.6 are >= " + Aggregates.CORRECT_REWARD);
        assertEquals(0.45, v.get("meanReward").asDouble(), 1e-12);
    }

    @Test
    void advantageHistogramBinsEdgesAndOverflow() {
        Aggregates a = new Aggregates(-1, 1, 4);  // bins [-1,-.5) [-.5,0) [0,.5) [.5,1)
        for (double x : new double[] {-5, -1, -0.5, -0.01, 0, 0.49, 0.5, 0.999, 1, 7})
            a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(x).build(), NOW);
        JsonNode h = a.summary(NOW, null).get("roles").get("thinker").get("histogram");
        assertEquals("[1,2,2,2]", h.get("counts").toString());
        assertEquals(1, h.get("under").asInt());
        assertEquals(2, h.get("over").asInt());
        assertThrows(IllegalArgumentException.class, () -> new Aggregates(1, 1, 4));
    }

    /** Issue 18: NaN advantages used to land in the lowest bin, one infinite reward made the mean reward chart flat. */
    @Test
    void nonFiniteValuesAreCountedApartNeverBinnedOrAveraged() {
        Aggregates a = new Aggregates(-1, 1, 4);
        for (double x : new double[] {Double.NaN, Double.NEGATIVE_INFINITY, 0.25, Double.POSITIVE_INFINITY})
            a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(x).build(), NOW);
        for (double reward : new double[] {1.0, Double.POSITIVE_INFINITY, 0.0, Double.NaN})
            a.onTrajectory(Trajectory.newBuilder(SampleRecords.trajectory()).setReward(reward).build(), NOW);
        ObjectNode s = a.summary(NOW, null);
        JsonNode role = s.get("roles").get("thinker");
        assertEquals("[0,0,1,0]", role.get("histogram").get("counts").toString(), "only the finite value is binned");
        assertEquals(0, role.get("histogram").get("under").asInt());
        assertEquals(0, role.get("histogram").get("over").asInt());
        assertEquals(3, role.get("histogram").get("nonFinite").asInt());
        assertEquals(0.25, role.get("meanAdvantage").asDouble(), 1e-12);
        JsonNode v = s.get("versions").get(0);
        assertEquals(0.5, v.get("meanReward").asDouble(), 1e-12, "the finite rewards' mean");
        assertEquals(2, v.get("nonFiniteRewards").asInt());
        assertEquals(2, s.get("nonFiniteRewards").asInt());
    }

    @Test
    void marginalContributionPerVersionAndMinute() {
        Aggregates a = new Aggregates(-3, 3, 24);
        Instant m0 = Instant.ofEpochMilli(NOW - NOW % 60_000);
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setPolicyVersion(1).setMarginalContribution(1).setCreatedAtMs(m0).build(), NOW);
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setPolicyVersion(1).setMarginalContribution(0).setCreatedAtMs(m0.plusSeconds(59)).build(), NOW);
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setPolicyVersion(2).setMarginalContribution(-1).setCreatedAtMs(m0.plusSeconds(60)).build(), NOW);
        JsonNode r = a.summary(NOW, null).get("roles").get("thinker");
        assertEquals(0.5, r.get("marginalByVersion").get(0).get("mean").asDouble(), 1e-12);
        assertEquals(-1, r.get("marginalByVersion").get(1).get("mean").asDouble(), 1e-12);
        assertEquals(m0.toEpochMilli(), r.get("marginalByMinute").get(0).get("minuteMs").asLong());
        assertEquals(2, r.get("marginalByMinute").get(0).get("count").asLong());
        assertEquals(1, r.get("marginalByMinute").get(1).get("count").asLong());
    }

    @Test
    void creditQualityFromTheTurnsGroundTruth() {
        Aggregates a = new Aggregates(-3, 3, 24);
        // one group: right turns +1 and -0.5, wrong turn 0: pairs (1 > 0) and (-0.5 < 0) -> AUC 0.5; no truth: ignored
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(1).setTurnCorrect(true).build(), NOW);
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(-0.5).setTurnCorrect(true).build(), NOW);
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(0).setTurnCorrect(false).build(), NOW);
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(9).setTurnCorrect(null).build(), NOW);
        JsonNode q = a.summary(NOW, null).get("creditQuality").get(0);
        assertEquals("thinker", q.get("role").asText());
        assertEquals(3, q.get("judged").asLong());
        assertEquals(2, q.get("pairs").asLong());
        assertEquals(0.5, q.get("auc").asDouble(), 1e-12);
        assertEquals(0.0, q.get("rewardedMistakes").asDouble(), 1e-12);
        assertEquals(0.5, q.get("punishedSuccesses").asDouble(), 1e-12);
        Aggregates none = new Aggregates(-3, 3, 24);
        none.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setTurnCorrect(true).build(), NOW);
        assertTrue(none.summary(NOW, null).get("creditQuality").get(0).get("auc").isNull(), "no pair yet: null, not NaN");
    }

    @Test
    void sameNumbersWhateverTheOrderOfPartitions() {
        RunRecords r = new RunRecords(1, 3, 3, 5, Instant.ofEpochMilli(NOW));
        Aggregates inOrder = fed(r);
        Aggregates shuffled = new Aggregates(-3, 3, 24);
        List<Runnable> all = new ArrayList<>();
        r.trajectories.forEach(x -> all.add(() -> shuffled.onTrajectory(x, NOW)));
        r.counterfactuals.forEach(x -> all.add(() -> shuffled.onCounterfactual(x, NOW)));
        r.advantages.forEach(x -> all.add(() -> shuffled.onAdvantage(x, NOW)));
        r.stats.forEach(x -> all.add(() -> shuffled.onRolloutStats(x)));
        r.weights.forEach(x -> all.add(() -> shuffled.onWeights(x, NOW)));
        Collections.shuffle(all, new Random(1));
        all.forEach(Runnable::run);
        ObjectNode a = inOrder.summary(NOW, null), b = shuffled.summary(NOW, null);
        assertEquals(a.get("versions"), b.get("versions"));
        assertEquals(a.get("workers"), b.get("workers"), "current version = version of the newest record");
        assertEquals(a.get("rolloutStats"), b.get("rolloutStats"), "a late older window does not replace a newer one");
        assertEquals(3L, b.get("workers").get(0).get("policyVersion").asLong());
        // mean advantage sums may differ in the last bits with the order; counts and bins must not
        for (String role : List.of("thinker", "reasoner"))
            assertEquals(a.get("roles").get(role).get("histogram"), b.get("roles").get(role).get("histogram"));
    }

    @Test
    void rolloutStatsStdUsesM2OverCount() {
        Aggregates a = new Aggregates(-3, 3, 24);
        a.onRolloutStats(SampleRecords.rolloutStats());  // count 4, m2 1.0
        JsonNode c = a.summary(NOW, null).get("rolloutStats").get("thinker").get("credit");
        assertEquals(0.5, c.get("std").asDouble(), 1e-12);
        RolloutStats older = RolloutStats.newBuilder(SampleRecords.rolloutStats())
                .setWindowEndMs(SampleRecords.rolloutStats().getWindowEndMs().minusSeconds(60)).setRole("thinker").build();
        older.getCredit().setCount(99);
        a.onRolloutStats(older);
        assertEquals(4, a.summary(NOW, null).get("rolloutStats").get("thinker").get("credit").get("count").asLong());
    }

    @Test
    void throughputCountsRecentRecordTimesAndKeepsTotals() {
        Aggregates a = new Aggregates(-3, 3, 24);
        for (int i = 0; i < 30; i++) a.onRecord("t", NOW - 1000L * i, NOW);  // one per second over the last 30 s
        a.onRecord("t", NOW - 3_600_000L, NOW);  // an old record (read from earliest): total only
        JsonNode t = a.summary(NOW, null).get("throughput").get("t");
        assertEquals(31, t.get("total").asLong());
        assertEquals(1.0, t.get("perSecond").asDouble(), 1e-12);
        assertEquals(Aggregates.SERIES_S, t.get("lastMinute").size());
        a.onError("t", "bad");
        assertEquals(1, a.summary(NOW, null).get("decodeErrors").get("t").asLong());
    }

    /** One group through every stage at given seen-times; each stage's numbers worked out by hand. */
    @Test
    void perStageLatencyFromWhenTheRecordsWereSeen() {
        Aggregates a = new Aggregates(-3, 3, 24);
        assertEquals(0, a.summary(NOW, null).get("latency").size(), "no sample yet: no stage");
        Trajectory t0 = SampleRecords.trajectory();  // g1/0 of group g1, policy version 3
        Trajectory t1 = Trajectory.newBuilder(t0).setTrajectoryId("g1/1").setGroupIndex(1).build();
        a.onWeights(SampleRecords.weights(), NOW);  // v3 visible at NOW
        a.onTrajectory(Trajectory.newBuilder(t0).setCreatedAtMs(Instant.ofEpochMilli(NOW + 1_000)).build(), NOW + 1_050);  // rollout 50, swap 1000
        a.onTrajectory(Trajectory.newBuilder(t1).setCreatedAtMs(Instant.ofEpochMilli(NOW + 1_100)).build(), NOW + 1_200);  // rollout 100
        a.onCounterfactual(SampleRecords.counterfactual(), NOW + 1_400);  // counterfactual 350
        a.onCounterfactual(CounterfactualOutcome.newBuilder(SampleRecords.counterfactual()).setTrajectoryId("g1/1").build(), NOW + 1_700); // 500
        a.onAdvantage(SampleRecords.advantage(), NOW + 2_000);  // credit 300: the group's last input at +1700
        a.onAdvantage(SampleRecords.advantage(), NOW + 2_010);  // not the group's first: nothing
        PolicyWeights v4 = PolicyWeights.newBuilder(SampleRecords.weights()).setPolicyVersion(4).build();
        a.onWeights(v4, NOW + 3_000);  // learner 1000
        a.onWeights(PolicyWeights.newBuilder(v4).setRole("reasoner").build(), NOW + 3_010);  // v4 already visible: nothing
        JsonNode l = a.summary(NOW + 4_000, null).get("latency");
        assertEquals(List.of("rollout", "counterfactual", "credit", "learner", "swap"), names(l.fieldNames()));
        assertLatency(l.get("rollout"), 2, 75, 95, 99.5, 100);
        assertLatency(l.get("counterfactual"), 2, 425, 485, 498.5, 500);
        assertLatency(l.get("credit"), 1, 300, 300, 300, 300);
        assertLatency(l.get("learner"), 1, 1_000, 1_000, 1_000, 1_000);
        assertLatency(l.get("swap"), 1, 1_000, 1_000, 1_000, 1_000);
    }

    private static List<String> names(Iterator<String> names) {
        List<String> out = new ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }

    private static void assertLatency(JsonNode stage, long count, double p50, double p90, double p99, double max) {
        assertEquals(count, stage.get("count").asLong());
        assertEquals(p50, stage.get("p50").asDouble(), 1e-9);
        assertEquals(p90, stage.get("p90").asDouble(), 1e-9);
        assertEquals(p99, stage.get("p99").asDouble(), 1e-9);
        assertEquals(max, stage.get("max").asDouble(), 1e-9);
    }
}
