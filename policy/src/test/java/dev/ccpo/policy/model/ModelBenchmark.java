package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;

import java.util.ArrayList;
import java.util.List;

/**
 * Prints sampling tokens/s (with and without KV cache) and forward+backward tokens/s on CPU for the tiny config
 * and a ~100M-parameter config. Args: [batch] [promptLen] [newTokens].
 */
public final class ModelBenchmark {
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int promptLen = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        Device dev = Devices.pick(System.getProperty("device", "cpu"));
        int vocab = CharTokenizer.VOCAB;
        // ~100M parameters: 12 layers, hidden 768, 12 heads, 4 kv heads, ffn 3072, vocab 32000 (char tokenizer ids < 99).
        ModelConfig mid = new ModelConfig("qwen2", 32000, 768, 12, 12, 4, 3072, 10000.0, 1e-6, true, true, 4096);
        for (ModelConfig c : List.of(ModelConfig.tiny(vocab), mid)) {
            try (CausalLM m = CausalLM.init(c, new CharTokenizer(), 1, dev)) {
                long n = m.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
                System.out.printf("config layers=%d hidden=%d vocab=%d params=%.1fM device=%s batch=%d prompt=%d new=%d%n",
                        c.numLayers(), c.hiddenSize(), c.vocabSize(), n / 1e6, dev, batch, promptLen, newTokens);
                List<int[]> prompts = new ArrayList<>();
                java.util.SplittableRandom r = new java.util.SplittableRandom(3);
                for (int b = 0; b < batch; b++) prompts.add(r.ints(promptLen, 0, 95).toArray());
                // Never stop early: no end-of-turn among sampled tokens matters for timing, lengths are reported.
                SamplingParams sp = new SamplingParams(1f, 1f, newTokens, List.of(), 1);
                m.generate(prompts.subList(0, 1), new SamplingParams(1f, 1f, 2, List.of(), 1)); // warm-up
                for (boolean cache : new boolean[] {true, false}) {
                    long t0 = System.nanoTime();
                    List<Completion> cs = m.generate(prompts, sp, cache);
                    double s = (System.nanoTime() - t0) / 1e9;
                    long toks = cs.stream().mapToLong(x -> x.outputTokenIds().length).sum();
                    System.out.printf("  sampling %s: %d tokens in %.2fs = %.1f tokens/s%n",
                            cache ? "kv-cache" : "no-cache", toks, s, toks / s);
                }
                List<int[]> outs = new ArrayList<>();
                for (int b = 0; b < batch; b++) outs.add(r.ints(newTokens, 0, 95).toArray());
                m.setTrainable(true);
                for (int rep = 0; rep < 2; rep++) { // first is warm-up
                    long t0 = System.nanoTime();
                    try (NDManager nd = NDManager.newBaseManager(dev); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray lp = m.completionLogProbs(nd, prompts, outs, 1f);
                        gc.backward(lp.sum().neg());
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    long toks = (long) batch * (promptLen + newTokens);
                    if (rep == 1) System.out.printf("  forward+backward: %d tokens in %.2fs = %.1f tokens/s%n", toks, s, toks / s);
                }
            }
        }
    }
}
