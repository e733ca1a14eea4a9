package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.*;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static final double TOL = 1e-5;

    /** Backward of sum(p * c): gradient of p is exactly c. */
    private static void backward(NDArray p, float[] c, AdamW opt, Map<String, NDArray> params) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = p.mul(p.getManager().create(c)).sum();
            gc.backward(loss);
            opt.accumulate(params);
        }
    }

    private static NDArray param(NDManager mgr, float... v) {
        NDArray p = mgr.create(v);
        p.setRequiresGradient(true);
        return p;
    }

    @Test
    void firstStepWithWarmupDecayAndClip() {
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray p = param(mgr, 1f, -2f);
            Map<String, NDArray> params = Map.of("w", p);
            AdamW opt = new AdamW(new AdamW.Settings(0.1, 0.9, 0.999, 1e-8, 0.1, 10, 1.0), mgr);
            backward(p, new float[] {3f, -4f}, opt, params);
            AdamW.StepInfo info = opt.step(params);
            // grad (3,-4): norm 5 > clip 1 -> g = (0.6,-0.8). Step 1: m = 0.1 g, v = 0.001 g^2,
            // m^ = g, v^ = g^2 -> update = g/|g| = (1,-1) (eps negligible).
            // lr at step 1 with 10 warm-up steps = 0.1 * 1/10 = 0.01.
            // p = p*(1 - lr*wd) - lr*update = (1*0.999 - 0.01, -2*0.999 + 0.01) = (0.989, -1.988).
            assertEquals(5.0, info.gradNorm(), TOL);
            assertEquals(0.01, info.lr(), 1e-9);
            float[] w = p.toFloatArray();
            assertEquals(0.989, w[0], TOL);
            assertEquals(-1.988, w[1], TOL);
        }
    }

    @Test
    void secondStepMomentsAndAccumulation() {
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray p = param(mgr, 0f);
            Map<String, NDArray> params = Map.of("w", p);
            AdamW opt = new AdamW(new AdamW.Settings(1.0, 0.9, 0.999, 1e-8, 0.0, 0, 0.0), mgr);
            backward(p, new float[] {1f}, opt, params);
            opt.step(params);                      // step 1: update = 1 -> p = -1
            assertEquals(-1.0, p.toFloatArray()[0], TOL);
            // step 2 from two micro-batches with grads 2 and 4 -> averaged g = 3.
            backward(p, new float[] {2f}, opt, params);
            backward(p, new float[] {4f}, opt, params);
            AdamW.StepInfo info = opt.step(params);
            assertEquals(2, info.microBatches());
            assertEquals(3.0, info.gradNorm(), TOL);
            // m2 = 0.9*0.1 + 0.1*3 = 0.39 ; v2 = 0.999*0.001 + 0.001*9 = 0.009999
            // m^ = 0.39/(1-0.81) = 2.0526316 ; v^ = 0.009999/(1-0.998001) = 5.0020010
            // update = 2.0526316/2.2365154 = 0.9177811 -> p = -1 - 0.9177811 = -1.9177811
            double expected = -1 - (0.39 / 0.19) / Math.sqrt(0.009999 / 0.001999);
            assertEquals(-1.9177811, expected, 1e-6);
            assertEquals(expected, p.toFloatArray()[0], 1e-4);
        }
    }

    @Test
    void stateRoundTripGivesIdenticalNextStep() throws IOException {
        try (NDManager mgr = NDManager.newBaseManager()) {
            AdamW.Settings s = new AdamW.Settings(0.05, 0.9, 0.999, 1e-8, 0.01, 3, 1.0);
            NDArray p1 = param(mgr, 0.5f, 0.25f);
            Map<String, NDArray> params1 = Map.of("w", p1);
            AdamW a = new AdamW(s, mgr);
            backward(p1, new float[] {0.3f, -0.2f}, a, params1);
            a.step(params1);
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            a.save(new DataOutputStream(bo));
            AdamW b = new AdamW(s, mgr);
            b.load(new DataInputStream(new ByteArrayInputStream(bo.toByteArray())));
            assertEquals(1, b.stepCount());
            NDArray p2 = param(mgr, p1.toFloatArray());
            Map<String, NDArray> params2 = Map.of("w", p2);
            backward(p1, new float[] {0.1f, 0.4f}, a, params1);
            a.step(params1);
            backward(p2, new float[] {0.1f, 0.4f}, b, params2);
            b.step(params2);
            assertArrayEquals(p1.toFloatArray(), p2.toFloatArray(), 1e-7f);
        }
    }

    @Test
    void stepWithoutGradientsIsAnError() {
        try (NDManager mgr = NDManager.newBaseManager()) {
            AdamW opt = new AdamW(AdamW.Settings.defaults(1e-3), mgr);
            assertThrows(IllegalStateException.class, () -> opt.step(Map.of()));
        }
    }
}
