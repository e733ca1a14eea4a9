package dev.ccpo.policy.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits: greedy (temperature 0) or temperature + top-p sampling.
 * The recorded behaviour log-prob is log_softmax(logits / T)[token] (T = 1 when greedy), i.e. before top-p
 * truncation, as vLLM / verl record it; it equals CausalLM.completionLogProbs(..., T) of the same weights.
 */
final class Sampler {
    private final float temperature;
    private final float topP;

    Sampler(float temperature, float topP) {
        this.temperature = temperature;
        this.topP = topP;
    }

    /**
     * The seeds of a call's rows when the caller gives none: from the call's seed and the row index only, so a row's
     * tokens do not depend on the other rows of its batch. Row r draws from {@code new SplittableRandom(seeds[r])}.
     */
    static long[] rowSeeds(long seed, int rows) {
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) seeds[r] = seed * 0x9E3779B97F4A7C15L + r * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        return seeds;
    }

    /** Chosen token and its behaviour log-prob. */
    record Pick(int token, float logProb) {}

    Pick pick(float[] logits, SplittableRandom rng) {
        int v = logits.length;
        double t = temperature > 0 ? temperature : 1.0;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l / t);
        double[] p = new double[v];
        double z = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp(logits[i] / t - max);
            z += p[i];
        }
        double logZ = Math.log(z) + max;
        int token;
        if (temperature <= 0) {
            token = 0;
            for (int i = 1; i < v; i++) if (logits[i] > logits[token]) token = i;
        } else if (topP >= 1f) {
            token = draw(p, null, v, z, rng);
        } else {
            token = nucleus(p, z, rng);
        }
        return new Pick(token, (float) (logits[token] / t - logZ));
    }

    /** Samples index from unnormalised weights p (restricted to idx[0..n) when idx != null) with total mass. */
    private static int draw(double[] p, int[] idx, int n, double mass, SplittableRandom rng) {
        double u = rng.nextDouble() * mass;
        double acc = 0;
        for (int j = 0; j < n; j++) {
            int i = idx == null ? j : idx[j];
            acc += p[i];
            if (u < acc) return i;
        }
        return idx == null ? n - 1 : idx[n - 1]; // rounding: the last candidate
    }

    private int nucleus(double[] p, double z, SplittableRandom rng) {
        // Sort only candidates that can matter; fall back to all tokens if the kept mass is too small.
        double threshold = z * 1e-12;
        int[] idx = candidates(p, threshold);
        double kept = 0;
        for (int i : idx) kept += p[i];
        if (kept < topP * z) idx = candidates(p, -1);
        Integer[] boxed = Arrays.stream(idx).boxed().toArray(Integer[]::new);
        Arrays.sort(boxed, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double acc = 0;
        int n = 0;
        int[] order = new int[boxed.length];
        for (Integer i : boxed) {
            order[n++] = i;
            acc += p[i];
            if (acc >= topP * z) break; // smallest prefix whose mass reaches top-p
        }
        return draw(p, order, n, acc, rng);
    }

    private static int[] candidates(double[] p, double threshold) {
        int n = 0;
        int[] idx = new int[p.length];
        for (int i = 0; i < p.length; i++) if (p[i] > threshold) idx[n++] = i;
        return Arrays.copyOf(idx, n);
    }
}
