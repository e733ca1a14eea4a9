package dev.ccpo.credit;

/**
 * Exact count / mean / M2 of one signal, merged with Chan et al.'s parallel formula, so window
 * moments do not depend on how samples were split or ordered into batches (no float drift from naive sums).
 */
public record Stat(long count, double mean, double m2) {
    public static final Stat EMPTY = new Stat(0, 0, 0);

    /** Moments of a batch, computed in two passes (exact for the batch). */
    public static Stat of(double[] x) {
        if (x.length == 0) return EMPTY;
        double m = CreditMath.mean(x), s = 0;
        for (double d : x) s += (d - m) * (d - m);
        return new Stat(x.length, m, s);
    }

    /** Chan: n = na + nb, delta = mb - ma, mean = ma + delta nb / n, M2 = M2a + M2b + delta^2 na nb / n. */
    public Stat merge(Stat o) {
        if (o.count == 0) return this;
        if (count == 0) return o;
        long n = count + o.count;
        double d = o.mean - mean;
        return new Stat(n, mean + d * o.count / n, m2 + o.m2 + d * d * ((double) count * o.count / n));
    }

    /** Population variance m2 / count (0 when empty). */
    public double variance() { return count == 0 ? 0 : m2 / count; }

    /** count,mean,m2 (for logs and dead-letter reasons). */
    @Override
    public String toString() { return count + "," + mean + "," + m2; }
}
