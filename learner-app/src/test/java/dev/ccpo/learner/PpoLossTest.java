package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class PpoLossTest {
    private static final double TOL = 1e-5;

    private static float ln(double x) { return (float) Math.log(x); }

    /** Runs the loss with gradients on newLp; returns {loss, clipFrac, grad0, grad1}. */
    private static double[] run(float[] newLp, float[] oldLp, float[] mask, float adv, PpoLoss.ClipMode mode) {
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray n = mgr.create(newLp).reshape(1, newLp.length);
            n.setRequiresGradient(true);
            NDArray o = mgr.create(oldLp).reshape(1, oldLp.length);
            NDArray m = mgr.create(mask).reshape(1, mask.length);
            NDArray a = mgr.create(new float[] {adv});
            PpoLoss.Settings s = new PpoLoss.Settings(mode, 0.2, 3.0, 0.0, 0.0);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                PpoLoss.Result r = PpoLoss.compute(n, o, m, a, null, s);
                gc.backward(r.loss());
                float[] g = n.getGradient().toFloatArray();
                double[] out = new double[2 + g.length];
                out[0] = r.lossValue();
                out[1] = r.clipFraction();
                for (int i = 0; i < g.length; i++) out[2 + i] = g[i];
                assertEquals(1.0, r.meanAbsAdv(), TOL);
                return out;
            }
        }
    }

    @Test
    void turnModeGeometricMeanInsideRange() {
        // old p = (0.5, 0.5), new p = (0.6, 0.5): token ratios (1.2, 1.0).
        // turn ratio r = exp((ln1.2 + 0)/2) = sqrt(1.2) = 1.0954451 -> inside [0.8, 1.2], A = +1.
        // loss = -A r = -1.0954451 ; dr/dnew_t = r/T -> grad = -r/2 = -0.5477226 for both tokens.
        double[] o = run(new float[] {ln(0.6), ln(0.5)}, new float[] {ln(0.5), ln(0.5)},
                new float[] {1, 1}, 1f, PpoLoss.ClipMode.TURN);
        assertEquals(-Math.sqrt(1.2), o[0], TOL);
        assertEquals(0.0, o[1], TOL);
        assertEquals(-Math.sqrt(1.2) / 2, o[2], TOL);
        assertEquals(-Math.sqrt(1.2) / 2, o[3], TOL);
    }

    @Test
    void tokenModeClippingStopsGradient() {
        // new p = (0.65, 0.5), old (0.5, 0.5): ratios (1.3, 1.0), A = +1.
        // token0: max(-1.3, -1.2) = -1.2 (clipped, constant -> grad 0); token1: -1.0 (grad -r = -1).
        // per-trajectory mean: (-1.2 - 1.0)/2 = -1.1 ; grads (0, -1/2) ; clip fraction 1/2.
        double[] o = run(new float[] {ln(0.65), ln(0.5)}, new float[] {ln(0.5), ln(0.5)},
                new float[] {1, 1}, 1f, PpoLoss.ClipMode.TOKEN);
        assertEquals(-1.1, o[0], TOL);
        assertEquals(0.5, o[1], TOL);
        assertEquals(0.0, o[2], TOL);
        assertEquals(-0.5, o[3], TOL);
    }

    @Test
    void dualClipCapsNegativeAdvantage() {
        // ratios (4, 1), A = -1. token0: max(4, 1.2) = 4, dual min(4, c=3) = 3 (constant, grad 0).
        // token1: max(1, 1) = 1, grad d(-A r)/dnew = r = 1, /2 for the mean -> 0.5.
        // loss = (3 + 1)/2 = 2 ; clip fraction 1/2.
        double[] o = run(new float[] {ln(0.8), ln(0.2)}, new float[] {ln(0.2), ln(0.2)},
                new float[] {1, 1}, -1f, PpoLoss.ClipMode.TOKEN);
        assertEquals(2.0, o[0], TOL);
        assertEquals(0.5, o[1], TOL);
        assertEquals(0.0, o[2], TOL);
        assertEquals(0.5, o[3], TOL);
    }

    @Test
    void maskedPaddingIsIgnored() {
        // Same as the turn case but a third, padded token with a wild log-prob: result must not change.
        double[] o = run(new float[] {ln(0.6), ln(0.5), 5f}, new float[] {ln(0.5), ln(0.5), -9f},
                new float[] {1, 1, 0}, 1f, PpoLoss.ClipMode.TURN);
        assertEquals(-Math.sqrt(1.2), o[0], TOL);
        assertEquals(0.0, o[4], TOL);
    }

    @Test
    void turnModeClippedAboveRangeHasZeroGradient() {
        // ratios (2, 2): r = 2 > 1.2 with A = +1 -> loss = -1.2, constant -> zero gradient.
        double[] o = run(new float[] {ln(0.8), ln(0.8)}, new float[] {ln(0.4), ln(0.4)},
                new float[] {1, 1}, 1f, PpoLoss.ClipMode.TURN);
        assertEquals(-1.2, o[0], TOL);
        assertEquals(1.0, o[1], TOL);
        assertEquals(0.0, o[2], TOL);
        assertEquals(0.0, o[3], TOL);
    }

    @Test
    void badModeNamesKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PpoLoss.ClipMode.parse("seq"));
        assertTrue(e.getMessage().contains("clip.mode"));
    }
}
