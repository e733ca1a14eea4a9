package dev.ccpo.policy.team;

/** Deterministic seed derivation (SplitMix64), so a run is reproducible from one base seed. */
public final class Seeds {

    private Seeds() {}

    /** A seed for (base, parts...): e.g. {@code derive(baseSeed, groupIndex)} for a GRPO group. */
    public static long derive(long base, long... parts) {
        long z = mix(base);
        for (long p : parts) z = mix(z ^ mix(p + 0x632BE59BD9B4E019L));
        return z;
    }

    private static long mix(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
