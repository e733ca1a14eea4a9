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
}
