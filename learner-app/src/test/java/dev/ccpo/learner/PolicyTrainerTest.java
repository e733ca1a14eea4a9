package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real tiny CausalLM on CPU: the sign of the advantage moves the sampled tokens' log-probs. */
class PolicyTrainerTest {
    private static final int[] PROMPT = {5, 6, 7, 8};
    private static final int[] OUT = {9, 10, 11};

    private static CausalLM tiny() {
        return CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 7, Device.cpu());
    }

    private static float[] logProbs(CausalLM m) {
        try (NDManager mgr = NDManager.newBaseManager()) {
            return m.completionLogProbs(mgr, List.of(PROMPT), List.of(OUT), 1f).toFloatArray();
        }
    }

    private static double sum(float[] a) { double s = 0; for (float x : a) s += x; return s; }

    private static AgentAdvantage record(float[] behaviour, double adv) {
        List<Float> lp = new ArrayList<>();
        for (float x : behaviour) lp.add(x);
        return AgentAdvantage.newBuilder(TestRecords.advantage("g", 1, 0, true, adv, List.of(9, 10, 11), lp))
                .setPromptTokenIds(List.of(5, 6, 7, 8)).build();
    }

    private static double stepAndDelta(double adv, float behaviourShift) {
        try (CausalLM m = tiny()) {
            float[] before = logProbs(m);
            float[] behaviour = before.clone();
            for (int i = 0; i < behaviour.length; i++) behaviour[i] += behaviourShift;
            AdamW.Settings opt = new AdamW.Settings(1e-2, 0.9, 0.999, 1e-8, 0.0, 0, 1.0);
            try (PolicyTrainer t = new PolicyTrainer(m, null, opt, PpoLoss.Settings.defaults(), 4, 1f)) {
                PolicyTrainer.StepMetrics s = t.step(List.of(record(behaviour, adv)));
                assertEquals(Math.abs(adv), s.meanAbsAdv(), 1e-6);
                assertEquals(3, s.tokens());
                if (behaviourShift == 0f) assertTrue(s.gradNorm() > 0, "on-policy step must have a gradient");
            }
            return sum(logProbs(m)) - sum(before);
        }
    }

    @Test
    void positiveAdvantageRaisesLogProb() {
        assertTrue(stepAndDelta(+1.0, 0f) > 1e-4);
    }

    @Test
    void negativeAdvantageLowersLogProb() {
        assertTrue(stepAndDelta(-1.0, 0f) < -1e-4);
    }

    @Test
    void clippingStopsTheUpdateBeyondTheRange() {
        // behaviour log-probs 1 nat lower per token: ratio = e > 1.2 with A > 0 -> clipped, no gradient,
        // weights (and so log-probs) unchanged.
        assertEquals(0.0, stepAndDelta(+1.0, -1f), 1e-6);
    }

    /**
     * Issue 18: one finite but huge advantage gave loss -Infinity, gradient norm NaN and all-NaN weights. Now the step
     * is refused before it changes anything (weights, optimizer state), with the reason, and the next good step applies.
     */
    @Test
    void aStepWithANonFiniteLossOrGradientNormChangesNothing() {
        try (CausalLM m = tiny()) {
            float[] before = logProbs(m);
            byte[] weights = m.exportWeights();
            AdamW.Settings opt = new AdamW.Settings(1e-2, 0.9, 0.999, 1e-8, 0.0, 0, 1.0);
            try (PolicyTrainer t = new PolicyTrainer(m, null, opt, PpoLoss.Settings.defaults(), 4, 1f)) {
                for (double adv : new double[]{1e300, -1e300, 3e38}) {
                    AgentAdvantage huge = record(before, adv);
                    assertNotNull(t.probe(List.of(huge)), "probe of advantage " + adv);
                    PolicyTrainer.StepMetrics s = t.step(List.of(huge, record(before, 1.0)));
                    assertNotNull(s.skipped(), "advantage " + adv + " must not be stepped");
                    assertTrue(s.skipped().startsWith("loss is") || s.skipped().startsWith("gradient norm is"), s.skipped());
                    assertArrayEquals(weights, m.exportWeights(), "weights unchanged after advantage " + adv);
                    assertEquals(0, t.optimizer().stepCount(), "optimizer state unchanged");
                    assertNull(m.firstNonFiniteTensor());
                }
                assertNull(t.probe(List.of(record(before, 1.0))));
                PolicyTrainer.StepMetrics ok = t.step(List.of(record(before, 1.0)));
                assertNull(ok.skipped());
                assertEquals(1, t.optimizer().stepCount());
                assertTrue(sum(logProbs(m)) - sum(before) > 1e-4, "the good step after the refused ones applies");
                assertNull(m.firstNonFiniteTensor());
            }
        }
    }
}
