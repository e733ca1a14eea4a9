package dev.ccpo.demo.ablation;

import java.util.Arrays;

/**
 * Mean of one measure over seeds with a two-sided 95 % Student t interval: mean ± t(0.975, n−1)·s/√n, s the sample
 * standard deviation. With one seed there is no spread to measure: the interval is NaN-wide and says so.
 */
public record SeedInterval(int n, double mean, double sd, double halfWidth) {

    /** t(0.975, df) for df = 1..30 (standard tables); beyond, the normal quantile with a first-order correction. */
    private static final double[] T975 = {
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042
    };

    /** The finite values among {@code values} (a run that never reached the version contributes NaN and is left out). */
    public static SeedInterval of(double... values) {
        double[] xs = Arrays.stream(values).filter(Double::isFinite).toArray();
        int n = xs.length;
        if (n == 0) return new SeedInterval(0, Double.NaN, Double.NaN, Double.NaN);
        double mean = Arrays.stream(xs).sum() / n;
        if (n == 1) return new SeedInterval(1, mean, Double.NaN, Double.NaN);
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        double sd = Math.sqrt(ss / (n - 1));
        return new SeedInterval(n, mean, sd, t975(n - 1) * sd / Math.sqrt(n));
    }

    static double t975(int df) {
        if (df < 1) throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        return df <= T975.length ? T975[df - 1] : 1.959964 + 2.4 / df; // 2.4/df: within 0.002 of the table from df 30 on
    }

    public double lower() { return mean - halfWidth; }
    public double upper() { return mean + halfWidth; }

    /** "0.612 ± 0.041" (3 decimals); "0.612 (1 seed)" without a spread; "–" without a value. */
    public String format() {
        if (n == 0) return "–";
        if (n == 1) return String.format(java.util.Locale.ROOT, "%.3f (1 seed)", mean);
        return String.format(java.util.Locale.ROOT, "%.3f ± %.3f", mean, halfWidth);
    }
}
