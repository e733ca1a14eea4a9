package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.infra.SampleRecords;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AggregatesTest {
    private static final long NOW = 1_800_000_000_000L;

    private static Aggregates fed(RunRecords r) {
        Aggregates a = new Aggregates(-3, 3, 24);
        r.trajectories.forEach(a::onTrajectory);
        r.counterfactuals.forEach(a::onCounterfactual);
        r.advantages.forEach(a::onAdvantage);
        r.stats.forEach(a::onRolloutStats);
        r.weights.forEach(a::onWeights);
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
            a.onTrajectory(Trajectory.newBuilder(SampleRecords.trajectory()).setReward(reward).build());
        JsonNode v = a.summary(NOW, null).get("versions").get(0);
        assertEquals(0.5, v.get("accuracy").asDouble(), 1e-12, "1.0 and 0.6 are >= " + Aggregates.CORRECT_REWARD);
        assertEquals(0.45, v.get("meanReward").asDouble(), 1e-12);
    }

    @Test
    void advantageHistogramBinsEdgesAndOverflow() {
        Aggregates a = new Aggregates(-1, 1, 4);  // bins [-1,-.5) [-.5,0) [0,.5) [.5,1)
        for (double x : new double[] {-5, -1, -0.5, -0.01, 0, 0.49, 0.5, 0.999, 1, 7})
            a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(x).build());
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
            a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(x).build());
        for (double reward : new double[] {1.0, Double.POSITIVE_INFINITY, 0.0, Double.NaN})
            a.onTrajectory(Trajectory.newBuilder(SampleRecords.trajectory()).setReward(reward).build());
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
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setPolicyVersion(1).setMarginalContribution(1).setCreatedAtMs(m0).build());
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setPolicyVersion(1).setMarginalContribution(0).setCreatedAtMs(m0.plusSeconds(59)).build());
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setPolicyVersion(2).setMarginalContribution(-1).setCreatedAtMs(m0.plusSeconds(60)).build());
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
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(1).setTurnCorrect(true).build());
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(-0.5).setTurnCorrect(true).build());
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(0).setTurnCorrect(false).build());
        a.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setAdvantage(9).setTurnCorrect(null).build());
        JsonNode q = a.summary(NOW, null).get("creditQuality").get(0);
        assertEquals("thinker", q.get("role").asText());
        assertEquals(3, q.get("judged").asLong());
        assertEquals(2, q.get("pairs").asLong());
        assertEquals(0.5, q.get("auc").asDouble(), 1e-12);
        assertEquals(0.0, q.get("rewardedMistakes").asDouble(), 1e-12);
        assertEquals(0.5, q.get("punishedSuccesses").asDouble(), 1e-12);
        Aggregates none = new Aggregates(-3, 3, 24);
        none.onAdvantage(AgentAdvantage.newBuilder(SampleRecords.advantage()).setTurnCorrect(true).build());
        assertTrue(none.summary(NOW, null).get("creditQuality").get(0).get("auc").isNull(), "no pair yet: null, not NaN");
    }

    @Test
    void sameNumbersWhateverTheOrderOfPartitions() {
        RunRecords r = new RunRecords(1, 3, 3, 5, Instant.ofEpochMilli(NOW));
        Aggregates inOrder = fed(r);
        Aggregates shuffled = new Aggregates(-3, 3, 24);
        List<Runnable> all = new ArrayList<>();
        r.trajectories.forEach(x -> all.add(() -> shuffled.onTrajectory(x)));
        r.counterfactuals.forEach(x -> all.add(() -> shuffled.onCounterfactual(x)));
        r.advantages.forEach(x -> all.add(() -> shuffled.onAdvantage(x)));
        r.stats.forEach(x -> all.add(() -> shuffled.onRolloutStats(x)));
        r.weights.forEach(x -> all.add(() -> shuffled.onWeights(x)));
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
}
