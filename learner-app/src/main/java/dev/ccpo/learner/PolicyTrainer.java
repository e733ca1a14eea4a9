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

    /** Everything the per-step log line needs. */
    public record StepMetrics(double loss, double meanAbsAdv, double clipFraction, double approxKl, double gradNorm,
                              double lr, long tokens, int samples, double seconds) {
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
        if (records.isEmpty()) throw new IllegalArgumentException("step with no records");
        long t0 = System.nanoTime();
        Map<String, NDArray> params = model.parameters();
        double lossSum = 0, advSum = 0, clipSum = 0, klSum = 0;
        long tokens = 0;
        for (List<AgentAdvantage> part : MicroBatch.split(records, microBatch)) {
            try (NDManager sub = manager.newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                MicroBatch mb = MicroBatch.of(sub, part);
                NDArray newLp = model.completionLogProbs(sub, mb.prompts(), mb.completions(), temperature);
                NDArray refLp = reference == null ? null
                        : reference.completionLogProbs(sub, mb.prompts(), mb.completions(), temperature).stopGradient();
                PpoLoss.Result r = PpoLoss.compute(newLp, mb.oldLogProbs(), mb.mask(), mb.advantages(), refLp, loss);
                gc.backward(r.loss());
                optimizer.accumulate(params);
                double w = part.size();
                lossSum += r.lossValue() * w;
                advSum += r.meanAbsAdv() * w;
                clipSum += r.clipFraction() * w;
                klSum += r.approxKl() * w;
                tokens += mb.tokens();
            }
        }
        AdamW.StepInfo info = optimizer.step(params);
        int n = records.size();
        double secs = (System.nanoTime() - t0) / 1e9;
        return new StepMetrics(lossSum / n, advSum / n, clipSum / n, klSum / n, info.gradNorm(), info.lr(), tokens, n, secs);
    }

    @Override
    public void close() {
        manager.close();
    }
}
