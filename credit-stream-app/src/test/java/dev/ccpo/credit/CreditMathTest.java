package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CreditMathTest {
    @Test
    void emaFold_firstInitializesThenMeanAndVarianceEma() {
        History h = History.EMPTY.fold(4, 0.5, 0.25, 0.9);  // first batch initializes
        assertEquals(new History(4, 0.5, 0.25), h);
        // batch m=1, v=0, beta .9: mu' = .9*.5 + .1*1 = .55; var' = .9*.25 + .1*0 + .9*.1*(1-.5)^2 = .225 + .0225 = .2475
        History h2 = h.fold(2, 1.0, 0.0, 0.9);
        assertEquals(6, h2.count());
        assertEquals(0.55, h2.mean(), 1e-12);
        assertEquals(0.2475, h2.variance(), 1e-12);
    }

    @Test
    void zSkipsDuringWarmUp() {
        assertEquals(3.0, new History(9, 1, 4).z(3.0));
        assertEquals((3.0 - 1) / (2 + 1e-6), new History(10, 1, 4).z(3.0), 1e-12);
    }

    @Test
    void groupNormalize_unbiasedStdAndAllEqualZero() {
        // r = [1,2,3]: mean 2, unbiased std 1 -> A = [-1/(1+1e-6), 0, 1/(1+1e-6)]
        double[] a = CreditMath.groupNormalize(new double[]{1, 2, 3}, true);
        assertEquals(-1 / (1 + 1e-6), a[0], 1e-12);
        assertEquals(0.0, a[1], 1e-12);
        assertArrayEquals(new double[]{0, 0}, CreditMath.groupNormalize(new double[]{5, 5}, true));
        assertArrayEquals(new double[]{0}, CreditMath.groupNormalize(new double[]{5}, true));
    }
}
