package dev.ccpo.demo.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
}
