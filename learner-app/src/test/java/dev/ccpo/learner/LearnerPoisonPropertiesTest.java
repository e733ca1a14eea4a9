package dev.ccpo.learner;

import ai.djl.Device;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.worker.ValueDomains;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, property-based, on the learner's update: random steps mixing valid records with extreme or malformed
 * advantages and log-probs (huge, NaN, infinite, positive log-probs, wrong counts, token ids outside the vocabulary),
 * routed as the learner routes them: a record outside the contract's domains is rejected with a reason; a step the
 * trainer refuses (non-finite loss, gradient norm or update) changes nothing; the weights are finite after every step.
 */
class LearnerPoisonPropertiesTest {
    static final Double[] ADVANTAGES = {1.0, -1.0, 0.5, -2.5, 0.0, 99.0, -100.0, 1e30, -1e300, 3e38, Double.NaN,
            Double.POSITIVE_INFINITY, 101.0};
    static final Float[] LOG_PROBS = {-0.5f, -3f, -1000f, -999f, 0f, 0.5f, Float.NaN, Float.NEGATIVE_INFINITY, -1e30f};

    record Rec(double advantage, float logProb, int tokenId, boolean countMismatch) { }

    @Provide
    Arbitrary<List<List<Rec>>> steps() {
        Arbitrary<Rec> rec = Combinators.combine(Arbitraries.of(ADVANTAGES), Arbitraries.of(LOG_PROBS),
                Arbitraries.integers().between(-2, CharTokenizer.VOCAB + 2), Arbitraries.of(false, false, false, true)).as(Rec::new);
        return rec.list().ofMinSize(1).ofMaxSize(4).list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 15)
    void everyRecordIsTrainedOrRefusedWithAReasonAndTheWeightsStayFinite(@ForAll("steps") List<List<Rec>> steps) {
        try (CausalLM m = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 11, Device.cpu());
             PolicyTrainer t = new PolicyTrainer(m, null, new AdamW.Settings(1e-2, 0.9, 0.999, 1e-8, 0.0, 0, 1.0),
                     PpoLoss.Settings.defaults(), 2, 1f)) {
            int vocab = m.config().vocabSize();
            long applied = 0;
            for (List<Rec> step : steps) {
                List<AgentAdvantage> valid = new ArrayList<>();
                for (Rec r : step) {
                    AgentAdvantage a = record(r);
                    try {
                        ValueDomains.check(a, vocab);
                        valid.add(a);
                    } catch (RejectedRecordException e) {
                        assertFalse(e.getMessage().isBlank());
                        assertTrue(!(Math.abs(r.advantage()) <= 100) || !(r.logProb() >= -1000f && r.logProb() <= 0f)
                                || r.tokenId() < 0 || r.tokenId() >= vocab || r.countMismatch(), "refused a valid " + r + ": " + e.getMessage());
                    }
                }
                if (valid.isEmpty()) continue;
                byte[] before = m.exportWeights();
                PolicyTrainer.StepMetrics s = t.step(valid);
                boolean benign = valid.stream().allMatch(a -> Math.abs(a.getAdvantage()) <= 10
                        && a.getBehaviourLogProbs().stream().allMatch(x -> x >= -10f));
                if (benign) assertNull(s.skipped(), "a step of ordinary records must apply, after any refused one: " + step);
                if (s.skipped() != null) {
                    assertArrayEquals(before, m.exportWeights(), "a refused step changed the weights: " + s.skipped());
                } else {
                    applied++;
                    assertTrue(Double.isFinite(s.loss()) && Double.isFinite(s.gradNorm()), s.toString());
                }
                assertNull(m.firstNonFiniteTensor(), "weights after step " + step);
                assertEquals(applied, t.optimizer().stepCount(), "optimizer steps = applied steps");
            }
        }
    }

    private static AgentAdvantage record(Rec r) {
        List<Integer> out = List.of(r.tokenId(), 10, 11);
        List<Float> lp = new ArrayList<>(Arrays.asList(r.logProb(), -0.5f, -0.5f));
        if (r.countMismatch()) lp.remove(2);
        return AgentAdvantage.newBuilder(TestRecords.advantage("g", 1, 0, true, r.advantage(), out, lp))
                .setPromptTokenIds(List.of(5, 6, 7)).build();
    }
}
