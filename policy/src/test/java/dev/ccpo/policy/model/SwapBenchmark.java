package dev.ccpo.policy.model;

import ai.djl.Device;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Times a worker's weights swap on a checkpoint folder (the 128M model of {@link RandomCheckpoint} with a character
 * tokenizer, written first when the folder holds no checkpoint): what the workers did before,
 * {@code CausalLM.open(dir, device, blob)} (re-read the base checkpoint from disk, build a model, overwrite every
 * tensor), against the in-place swap they do now,
 * {@code CausalLM.reload(model, blob)}. The blob is the model's own export, as a published version would be.
 * <pre>java -cp policy/target/policy-&lt;version&gt;.jar:policy/target/test-classes dev.ccpo.policy.model.SwapBenchmark &lt;dir&gt; [reps]</pre>
 */
public final class SwapBenchmark {
    private SwapBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Device cpu = Device.cpu();
        if (!Files.isRegularFile(dir.resolve(Checkpoint.CONFIG))) {  // the 128M model, with a tokenizer as a worker's has
            try (CausalLM m = CausalLM.init(RandomCheckpoint.config(), new CharTokenizer(), 1, cpu)) {
                m.save(dir);
            }
        }
        try (CausalLM model = CausalLM.open(dir, cpu)) {
            byte[] blob = model.exportWeights();
            System.out.printf("model %s: %.1f MB of weights, %d reps each%n", dir, blob.length / 1e6, reps);
            double[] open = new double[reps];
            double[] reload = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                try (CausalLM fresh = CausalLM.open(dir, cpu, blob)) {
                    open[i] = (System.nanoTime() - t0) / 1e6;
                }
                t0 = System.nanoTime();
                CausalLM.reload(model, blob);
                reload[i] = (System.nanoTime() - t0) / 1e6;
            }
            System.out.printf("before (open base checkpoint + overwrite): median %.0f ms (min %.0f)%n", median(open), min(open));
            System.out.printf("after  (in-place reload):                  median %.0f ms (min %.0f)%n", median(reload), min(reload));
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] xs) { return java.util.Arrays.stream(xs).min().orElse(Double.NaN); }
}
