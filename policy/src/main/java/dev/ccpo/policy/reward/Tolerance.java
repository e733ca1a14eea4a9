package dev.ccpo.policy.reward;

/** Relative closeness of doubles, with an absolute floor so that values near zero compare sensibly. */
final class Tolerance {
    private static final double ABSOLUTE_FLOOR = 1e-12;

    private Tolerance() {}

    static boolean close(double a, double b, double relTolerance) {
        if (Double.isNaN(a) || Double.isNaN(b)) return false;
        if (a == b) return true; // includes equal infinities
        if (Double.isInfinite(a) || Double.isInfinite(b)) return false;
        return Math.abs(a - b) <= Math.max(relTolerance * Math.max(Math.abs(a), Math.abs(b)), ABSOLUTE_FLOOR);
    }
}
