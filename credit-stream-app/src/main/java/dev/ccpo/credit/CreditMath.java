package dev.ccpo.credit;

/**
 * Pure credit arithmetic of docs/algorithm.md, in the reference code's forms (bhai114/ccpo, CCPO-v1:
 * historical_normalizer.py, core_algos.compute_grpo_outcome_advantage); no state, no I/O, tested directly.
 */
public final class CreditMath {
    public static final double EPS = 1e-6;
    /** Default of history.warmup.samples: below this many history samples the shaping is skipped (reference min_samples). */
    public static final long WARMUP = 10;

    private CreditMath() { }

    /** Running statistics (EMA mean/variance) of one signal, as used for global normalization. */
    public record History(long count, double mean, double variance) {
        public static final History EMPTY = new History(0, 0, 0);

        /** Reference sigma: sqrt(m2), but 1 when m2 <= 1e-6, so a constant history cannot blow z up. */
        public double std() { return variance > EPS ? Math.sqrt(variance) : 1.0; }

        /** z = (x - mu)/(sigma + eps). */
        public double z(double x) { return (x - mean) / (std() + EPS); }

        /** True while the history holds fewer than {@code warmupSamples} samples: no shaping then. */
        public boolean warmingUp(long warmupSamples) { return count < warmupSamples; }

        /**
         * Folds a batch (mean m, population variance v, n samples) in with decay beta, the reference form:
         * mu' = b mu + (1-b) m, m2' = b m2 + (1-b) v (no between-batch term); the first batch initializes.
         */
        public History fold(long n, double m, double v, double beta) {
            if (n == 0) return this;
            if (count == 0) return new History(n, m, v);
            return new History(count + n, beta * mean + (1 - beta) * m, beta * variance + (1 - beta) * v);
        }
    }

    /** The reference's sigmoid: 1 / (1 + exp(-clip(x, -20, 20))). */
    public static double sigmoid(double x) { return 1.0 / (1.0 + Math.exp(-Math.max(-20, Math.min(20, x)))); }

    /** Reasoner gate g = sigmoid(eta * mu_Delta / (sigma_Delta + eps)). */
    public static double gate(History delta, double eta) {
        return sigmoid(eta * delta.mean() / (delta.std() + EPS));
    }

    public static double mean(double[] r) {
        double s = 0;
        for (double x : r) s += x;
        return r.length == 0 ? 0 : s / r.length;
    }

    /** Unbiased (n-1) sample std; 0 for fewer than two values. */
    public static double unbiasedStd(double[] r) {
        if (r.length < 2) return 0;
        double m = mean(r), s = 0;
        for (double x : r) s += (x - m) * (x - m);
        return Math.sqrt(s / (r.length - 1));
    }

    /**
     * GRPO group normalization A = (r - mean)/(std + 1e-6); divideByStd=false gives r - mean
     * (ccpo-bonus). All-equal r gives exactly 0, never NaN.
     */
    public static double[] groupNormalize(double[] r, boolean divideByStd) {
        double m = mean(r), s = unbiasedStd(r);
        double[] a = new double[r.length];
        boolean allEqual = true;
        for (double x : r) allEqual &= x == r[0];
        for (int i = 0; i < r.length; i++) {
            a[i] = allEqual ? 0.0 : divideByStd ? (r[i] - m) / (s + EPS) : r[i] - m;
        }
        return a;
    }
}
