package dev.ccpo.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ccpo.credit.CreditMath.History;

class SyncLoopTest {

    /** A learner batch of two groups is one history step, folded with the credit app's own History.fold. */
    @Test
    void aBatchOfGroupsIsOneFoldOfTheirPooledMoments() {
        // batch values {1, 0, 1, 1}: n 4, mean 0.75, population variance 0.1875
        History first = SyncLoop.fold(History.EMPTY, List.of(new double[] {1, 0}, new double[] {1, 1}), 0.99);
        assertEquals(new History(4, 0.75, 0.1875), first);
        // a second batch {0, 0}: folded into the first exactly as the credit app folds a window
        History second = SyncLoop.fold(first, List.of(new double[] {0, 0}), 0.99);
        assertEquals(first.fold(2, 0, 0, 0.99), second);
    }

    @Test
    void anEmptyBatchLeavesTheHistory() {
        History h = new History(4, 0.5, 0.25);
        assertSame(h, SyncLoop.fold(h, List.of(), 0.99));
    }

    @Test
    void stageBreakdown_perVersionTimes_andTheSumOverTheSlowestStage() {
        // 2 versions: generate 60 ms, counterfactuals 20, credit 2, learner 38 in all -> per version 30, 10, 1, 19;
        // sum 120 over the slowest 60: a pipeline of one machine per stage is at most 2x the loop
        String line = SyncLoop.stageBreakdown(new long[]{60_000_000, 20_000_000, 2_000_000, 38_000_000}, 2);
        assertEquals("sync stages, ms per version: generate 30.0 counterfactuals 10.0 credit 1.0 learner step 19.0;"
                + " one machine per stage: at most 2.00x the loop (sum / slowest stage)", line);
    }
}
