package dev.ccpo.learner;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.policy.model.CausalLM;
import java.util.List;
import java.util.Map;

/** One policy (CausalLM) with its optimizer: turns a step's records into one AdamW update. */
public final class PolicyTrainer implements AutoCloseable {

    /**
     * Everything the per-step log line needs. skipped: why the step changed nothing (a non-finite loss, gradient norm
     * or updated weight; the weights and the optimizer state are as before), or null when it was applied.
     */
    public record StepMetrics(double loss, double meanAbsAdv, double clipFraction, double approxKl, double gradNorm,
                              double lr, long tokens, int samples, double seconds, String skipped) {
        public double tokensPerSecond() { return seconds > 0 ? tokens / seconds : 0; }
    }

    private final CausalLM model;
    private final CausalLM reference; // frozen, only when kl.coef > 0
    private final NDManager manager;
    private final AdamW optimizer;
    private final PpoLoss.Settings loss;
    private final int microBatch;
    private final float temperature;

    public PolicyTrainer(CausalLM model, CausalLM reference, AdamW.Settings opt, PpoLoss.Settings loss,
                         int microBatch, float temperature) {
        if (loss.klCoef() > 0 && reference == null)
            throw new IllegalArgumentException("kl.coef > 0 needs a frozen reference model");
        this.model = model;
        this.reference = reference;
        this.manager = NDManager.newBaseManager(model.device());
        this.optimizer = new AdamW(opt, manager);
        this.loss = loss;
        this.microBatch = microBatch;
        this.temperature = temperature;
        model.setTrainable(true);
    }

    public CausalLM model() { return model; }
    public AdamW optimizer() { return optimizer; }

    public StepMetrics step(List<AgentAdvantage> records) {
        long t0 = System.nanoTime();
        Sums a = accumulate(records);
        if (a.skipped != null) {  // checked before any update: nothing is stepped
            optimizer.discard();
            return a.metrics(Double.NaN, 0, records.size(), t0, a.skipped);
        }
        AdamW.StepInfo info = optimizer.step(model.parameters());
        return a.metrics(info.gradNorm(), info.lr(), records.size(), t0, info.skipped());
    }

    /**
     * Why a step on these records would be refused for its loss or gradient norm (non-finite), or null; changes
     * nothing (the gradients are dropped). The learner uses it to find the group that spoiled a step.
     */
    public String probe(List<AgentAdvantage> records) {
        Sums a = accumulate(records);
        String why = a.skipped != null ? a.skipped : optimizer.accumulatedNormProblem();
        optimizer.discard();
        return why;
    }

    /** Loss sums over the micro-batches, gradients accumulated in the optimizer; stops at a non-finite loss. */
    private Sums accumulate(List<AgentAdvantage> records) {
        if (records.isEmpty()) throw new IllegalArgumentException("step with no records");
        Map<String, NDArray> params = model.parameters();
        Sums sums = new Sums();
        for (List<AgentAdvantage> part : MicroBatch.split(records, microBatch)) {
            try (NDManager sub = manager.newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                MicroBatch mb = MicroBatch.of(sub, part);
                NDArray newLp = model.completionLogProbs(sub, mb.prompts(), mb.completions(), temperature);
                NDArray refLp = reference == null ? null
                        : reference.completionLogProbs(sub, mb.prompts(), mb.completions(), temperature).stopGradient();
                PpoLoss.Result r = PpoLoss.compute(newLp, mb.oldLogProbs(), mb.mask(), mb.advantages(), refLp, loss);
                double w = part.size();
                sums.loss += r.lossValue() * w;
                sums.adv += r.meanAbsAdv() * w;
                sums.clip += r.clipFraction() * w;
                sums.kl += r.approxKl() * w;
                sums.tokens += mb.tokens();
                if (!Double.isFinite(r.lossValue())) {
                    sums.skipped = "loss is " + r.lossValue();
                    return sums;
                }
                gc.backward(r.loss());
                optimizer.accumulate(params);
            }
        }
        return sums;
    }

    private static final class Sums {
        double loss, adv, clip, kl;
        long tokens;
        String skipped;

        StepMetrics metrics(double gradNorm, double lr, int n, long t0, String why) {
            return new StepMetrics(loss / n, adv / n, clip / n, kl / n, gradNorm, lr, tokens, n, (System.nanoTime() - t0) / 1e9, why);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
