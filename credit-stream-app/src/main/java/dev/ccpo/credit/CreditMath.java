package dev.ccpo.credit;

/** Pure credit arithmetic of docs/algorithm.md; no state, no I/O, so it is tested directly. */
public final class CreditMath {
    public static final double EPS = 1e-6;
    /** Below this many history samples, normalization is skipped (z = raw value). */
    public static final long WARMUP = 10;

    private CreditMath() { }

    /** Running statistics (EMA mean/variance) of one signal, as used for global normalization. */
    public record History(long count, double mean, double variance) {
        public static final History EMPTY = new History(0, 0, 0);

        public double std() { return Math.sqrt(Math.max(0, variance)); }

        /** z = (x - mu)/(sigma + eps), or x itself during warm-up. */
        public double z(double x) { return count < WARMUP ? x : (x - mean) / (std() + EPS); }

        /**
         * Folds a batch (mean m, population variance v, n samples) in with decay beta:
         * mu' = b mu + (1-b) m, var' = b var + (1-b) v + b(1-b)(m-mu)^2; the first batch initializes.
         */
        public History fold(long n, double m, double v, double beta) {
            if (n == 0) return this;
            if (count == 0) return new History(n, m, v);
            double d = m - mean;
            return new History(count + n, beta * mean + (1 - beta) * m,
                    beta * variance + (1 - beta) * v + beta * (1 - beta) * d * d);
        }
    }

    public static double sigmoid(double x) { return 1.0 / (1.0 + Math.exp(-x)); }

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
