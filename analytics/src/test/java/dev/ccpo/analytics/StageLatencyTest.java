package dev.ccpo.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class StageLatencyTest {

    /** One group of two trajectories through every stage, times in ms chosen so each stage's value is known. */
    @Test
    void eachStageIsTheGapBetweenTheRecordsThatBoundIt() {
        StageLatency l = new StageLatency();
        l.weights(1, 1_000);                          // v1 visible at 1000
        l.trajectory("g/0", "g", 1, 1_100, 1_150);    // rollout 50; first episode with v1 finished at 1100: swap 100
        l.trajectory("g/1", "g", 1, 1_120, 1_200);    // rollout 80; v1 already used: no second swap sample
        l.counterfactual("g/0", "g", 1_400);          // counterfactual 250
        l.counterfactual("g/1", "g", 1_600);          // counterfactual 400; the group's last input at 1600
        l.advantage("g", 1_700);                      // credit 100
        l.advantage("g", 1_710);                      // the group's other advantages add nothing
        l.weights(2, 2_700);                          // learner 1000
        l.weights(2, 2_705);                          // the same version's next chunk adds nothing

        Map<String, StageLatency.Percentiles> p = l.percentiles();
        assertEquals(StageLatency.STAGES, p.keySet().stream().toList());
        assertEquals(2, p.get("rollout").count());
        assertEquals(65, p.get("rollout").p50(), 1e-9);   // halfway between 50 and 80
        assertEquals(80, p.get("rollout").max(), 1e-9);
        assertEquals(325, p.get("counterfactual").p50(), 1e-9);
        assertEquals(1, p.get("credit").count());
        assertEquals(100, p.get("credit").p50(), 1e-9);
        assertEquals(1, p.get("learner").count());
        assertEquals(1_000, p.get("learner").p50(), 1e-9);
        assertEquals(1, p.get("swap").count());
        assertEquals(100, p.get("swap").p50(), 1e-9);
    }

    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        long[] xs = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
        assertEquals(55, StageLatency.quantile(xs, 0.5), 1e-9);   // position 4.5
        assertEquals(91, StageLatency.quantile(xs, 0.9), 1e-9);   // position 8.1: 90 + 0.1 * 10
        assertEquals(99.1, StageLatency.quantile(xs, 0.99), 1e-9); // position 8.91
        assertEquals(10, StageLatency.quantile(new long[] {10}, 0.99), 1e-9);
    }

    @Test
    void stagesWithoutRecordsAreLeftOut() {
        StageLatency l = new StageLatency();
        l.trajectory("g/0", "g", 0, 100, 130);
        assertEquals(Map.of("rollout", new StageLatency.Percentiles(1, 30, 30, 30, 30)), l.percentiles());
        assertFalse(StageLatency.describe(l.percentiles()).contains("credit"));
    }

    /** The ring keeps the newest samples: rollouts of 1..10 ms into a ring of 4 leave 7, 8, 9, 10. */
    @Test
    void percentilesAreOverTheNewestSamplesOnly() {
        StageLatency l = new StageLatency(4, 100);
        for (int i = 1; i <= 10; i++) l.trajectory("g/" + i, "g", 0, 0, i);
        assertPercentiles(l.percentiles().get("rollout"), 4, 8.5, 9.7, 9.97, 10); // positions 1.5, 2.7, 2.97
        l.trajectory("g/11", "g", 0, 0, 1);   // overwrites the oldest, 7: {1, 8, 9, 10}
        assertPercentiles(l.percentiles().get("rollout"), 4, 8.5, 9.7, 9.97, 10);
        l.trajectory("g/12", "g", 0, 0, 1);   // overwrites 8: {1, 1, 9, 10}
        assertEquals(5, l.percentiles().get("rollout").p50(), 1e-9);
    }

    /** Records that never complete cannot grow the in-flight maps: beyond the cap the eldest entry goes. */
    @Test
    void inFlightRecordsBeyondTheCapEvictTheEldest() {
        StageLatency l = new StageLatency(100, 2);
        l.trajectory("a/0", "a", 0, 0, 10);
        l.trajectory("b/0", "b", 0, 0, 20);
        l.trajectory("c/0", "c", 0, 0, 30);   // a/0 and group a evicted
        for (String g : List.of("a", "b", "c")) l.advantage(g, 100);  // a: nothing to measure from; b 80, c 70
        assertPercentiles(l.percentiles().get("credit"), 2, 75, 79, 79.9, 80);
        for (String g : List.of("a", "b", "c")) l.counterfactual(g + "/0", g, 200);  // a/0 evicted: b 180, c 170
        assertEquals(2, l.percentiles().get("counterfactual").count());
        assertEquals(175, l.percentiles().get("counterfactual").p50(), 1e-9);

        StageLatency credited = new StageLatency(100, 2);
        for (String g : List.of("a", "b", "c")) {       // three groups credited at 100, 110, 120: a evicted
            credited.trajectory(g + "/0", g, 0, 0, 0);
            credited.advantage(g, 100 + 10 * (g.charAt(0) - 'a'));
        }
        credited.weights(1, 1_000);                      // learner: b 890, c 880
        assertPercentiles(credited.percentiles().get("learner"), 2, 885, 889, 889.9, 890);
        credited.weights(2, 2_000);
        credited.weights(3, 3_000);                      // versions 2 and 3 kept, 1 evicted
        credited.trajectory("d/0", "d", 1, 5_000, 5_000); // v1 forgotten: no swap sample
        credited.trajectory("e/0", "e", 3, 5_000, 5_000); // v3 known: swap 2000
        assertPercentiles(credited.percentiles().get("swap"), 1, 2_000, 2_000, 2_000, 2_000);
    }

    /** count, p50, p90, p99, max; the quantiles to rounding. */
    private static void assertPercentiles(StageLatency.Percentiles p, long count, double p50, double p90, double p99, double max) {
        assertEquals(count, p.count());
        assertEquals(p50, p.p50(), 1e-9);
        assertEquals(p90, p.p90(), 1e-9);
        assertEquals(p99, p.p99(), 1e-9);
        assertEquals(max, p.max(), 1e-9);
    }
}
