package dev.ccpo.demo.ablation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SeedIntervalTest {

    @Test
    void threeSeedsByHand() {
        // 0.50, 0.60, 0.70: mean 0.60; squared deviations 0.01 + 0 + 0.01 = 0.02, s² = 0.02/2 = 0.01, s = 0.1;
        // s/√3 = 0.057735; t(0.975, 2) = 4.303; half-width = 4.303 × 0.057735 = 0.248434
        SeedInterval i = SeedInterval.of(0.5, 0.6, 0.7);
        assertEquals(3, i.n());
        assertEquals(0.6, i.mean(), 1e-12);
        assertEquals(0.1, i.sd(), 1e-12);
        assertEquals(0.248434, i.halfWidth(), 1e-6);
        assertEquals(0.351566, i.lower(), 1e-6);
        assertEquals("0.600 ± 0.248", i.format());
    }

    @Test
    void fiveSeedsByHand() {
        // 1, 2, 3, 4, 5: mean 3, s² = (4+1+0+1+4)/4 = 2.5, s = 1.581139, s/√5 = 0.707107; t(0.975, 4) = 2.776 → 1.962929
        assertEquals(1.962929, SeedInterval.of(1, 2, 3, 4, 5).halfWidth(), 1e-6);
    }

    @Test
    void aRunWithoutTheValueIsLeftOutAndOneSeedHasNoSpread() {
        SeedInterval i = SeedInterval.of(0.4, Double.NaN);
        assertEquals(1, i.n());
        assertEquals(0.4, i.mean(), 1e-12);
        assertTrue(Double.isNaN(i.halfWidth()));
        assertEquals("0.400 (1 seed)", i.format());
        assertEquals("–", SeedInterval.of().format());
    }

    @Test
    void tQuantileFollowsTheTableAndTendsToTheNormal() {
        assertEquals(12.706, SeedInterval.t975(1), 1e-9);
        assertEquals(2.042, SeedInterval.t975(30), 1e-9);
        assertEquals(2.021, SeedInterval.t975(40), 0.002);   // table: 2.021
        assertEquals(1.980, SeedInterval.t975(120), 0.002);  // table: 1.980
        assertThrows(IllegalArgumentException.class, () -> SeedInterval.t975(0));
    }
}
