package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The arithmetic against the reference code (bhai114/ccpo, CCPO-v1/src/verl/verl/workers/reward_manager/
 * historical_normalizer.py: HistoricalRewardNormalizer.update / normalize_agent1_rewards; rema_trainer/ppo/
 * core_algos.py: compute_grpo_outcome_advantage), worked by hand in the comments.
 */
class CreditMathTest {
    @Test
    void emaFold_referenceForm_noBetweenBatchTerm() {
        // Reference update(): first batch: mu = batch mean, m2 = np.var(batch) (population variance).
        History h = History.EMPTY.fold(4, 0.5, 0.25, 0.9);
        assertEquals(new History(4, 0.5, 0.25), h);
        // Then mu <- d mu + (1-d) mean_b, m2 <- d m2 + (1-d) var_b. Batch m=1, v=0, d=.9:
        // mu = .9*.5 + .1*1 = .55; m2 = .9*.25 + .1*0 = .225 (the former mixture form added
        // d(1-d)(m-mu)^2 = .9*.1*.25 = .0225, giving .2475: that is not what the reference does).
        History h2 = h.fold(2, 1.0, 0.0, 0.9);
        assertEquals(6, h2.count());
        assertEquals(0.55, h2.mean(), 1e-12);
        assertEquals(0.225, h2.variance(), 1e-12);
    }

    @Test
    void sigmaFloor_isOneWhenTheVarianceIsAtMost1e6() {
        // Reference: sigma = sqrt(m2) if m2 > epsilon (1e-6) else 1.0.
        assertEquals(1.0, new History(20, 0, 0).std());
        assertEquals(1.0, new History(20, 0, 1e-6).std());
        assertEquals(Math.sqrt(4e-6), new History(20, 0, 4e-6).std(), 1e-15);
        // A constant all-zero history: z(1) = (1 - 0)/(1 + 1e-6), not 1/(0 + 1e-6) = 1e6.
        assertEquals(1 / (1 + 1e-6), new History(20, 0, 0).z(1.0), 1e-12);
        // Otherwise z = (x - mu)/(sigma + eps): (3 - 1)/(2 + 1e-6).
        assertEquals((3.0 - 1) / (2 + 1e-6), new History(10, 1, 4).z(3.0), 1e-12);
    }

    @Test
    void warmUp_belowTheConfiguredSampleCount() {
        // Reference: len(buffer) < min_samples (10) -> skip normalization.
        assertTrue(new History(9, 1, 4).warmingUp(10));
        assertFalse(new History(10, 1, 4).warmingUp(10));
        assertTrue(History.EMPTY.warmingUp(1));
        assertFalse(History.EMPTY.warmingUp(0));
    }

    @Test
    void gate_usesTheFlooredSigmaAndTheReferenceClip() {
        // mu_Delta .5, m2 0 -> sigma 1: g = sigmoid(.5/(1 + 1e-6)) = 1/(1 + e^-.4999995) = .622459...
        assertEquals(0.6224593, CreditMath.gate(new History(20, 0.5, 0), 1.0), 1e-6);
        // Reference sigmoid clips its argument to [-20, 20]: mu .5, m2 1e-5 -> .5/.0031633 = 158 -> sigmoid(20).
        assertEquals(1 / (1 + Math.exp(-20)), CreditMath.gate(new History(20, 0.5, 1e-5), 1.0), 0);
    }

    @Test
    void groupNormalize_unbiasedStdAndAllEqualZero() {
        // core_algos: (score - mean)/(torch.std + 1e-6), torch.std with Bessel's correction.
        // r = [1,2,3]: mean 2, unbiased std 1 -> A = [-1/(1+1e-6), 0, 1/(1+1e-6)]
        double[] a = CreditMath.groupNormalize(new double[]{1, 2, 3}, true);
        assertEquals(-1 / (1 + 1e-6), a[0], 1e-12);
        assertEquals(0.0, a[1], 1e-12);
        assertArrayEquals(new double[]{0, 0}, CreditMath.groupNormalize(new double[]{5, 5}, true));
        // A group of one: 0 here (the reference gives r/(1 + 1e-6); see the README's table of differences).
        assertArrayEquals(new double[]{0}, CreditMath.groupNormalize(new double[]{5}, true));
    }
}
