package dev.ccpo.policy.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.ccpo.policy.reward.AnswerKind;

/**
 * Seeded generator of multi-step integer arithmetic tasks such as "Compute ((3 + 4) * 5) - 6.",
 * for tests and the demo. Task i depends only on (seed, i, settings), so any worker can produce
 * any task without coordination. Multipliers stay small and, by default, no intermediate value goes
 * below zero, so that a tiny model can do each step; the difficulty is in chaining steps.
 */
public final class ArithmeticTaskGenerator {

    public static final String DATASET = "synthetic-arith";
    private static final long MAX_VALUE = 9_999;

    private final long seed;
    private final int steps;
    private final int minOperand;
    private final int maxOperand;
    private final int maxMultiplier;
    private final boolean allowNegative;

    /** Multipliers up to 9, no negative intermediate values. */
    public ArithmeticTaskGenerator(long seed, int steps, int minOperand, int maxOperand) {
        this(seed, steps, minOperand, maxOperand, 9, false);
    }

    /**
     * @param steps number of operations per task (>= 1)
     * @param minOperand smallest operand (>= 0)
     * @param maxOperand largest operand
     * @param maxMultiplier largest right-hand operand of a multiplication (>= 2)
     * @param allowNegative whether a subtraction may go below zero
     */
    public ArithmeticTaskGenerator(long seed, int steps, int minOperand, int maxOperand, int maxMultiplier, boolean allowNegative) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        if (minOperand < 0 || maxOperand < minOperand) {
            throw new IllegalArgumentException("need 0 <= minOperand <= maxOperand, got " + minOperand + ".." + maxOperand);
        }
        if (maxMultiplier < 2) throw new IllegalArgumentException("maxMultiplier must be >= 2, got " + maxMultiplier);
        this.seed = seed;
        this.steps = steps;
        this.minOperand = minOperand;
        this.maxOperand = maxOperand;
        this.maxMultiplier = maxMultiplier;
        this.allowNegative = allowNegative;
    }

    /** Task number {@code index} of this generator's sequence. */
    public ArithmeticTask task(long index) {
        SplittableRandom random = new SplittableRandom(mix(seed, index));
        long value = operand(random);
        String expression = Long.toString(value);
        List<ArithmeticTask.Step> worked = new ArrayList<>(steps);
        for (int s = 0; s < steps; s++) {
            char op = "+-*".charAt(random.nextInt(3));
            long right;
            if (op == '*') {
                right = 2 + random.nextInt(maxMultiplier - 1);
                if (Math.abs(value * right) > MAX_VALUE) op = '+';
            } else {
                right = operand(random);
            }
            if (op == '-' && !allowNegative && right > value) op = '+';
            ArithmeticTask.Step step = ArithmeticTask.Step.of(value, op, right);
            worked.add(step);
            expression = (s == 0 ? expression : "(" + expression + ")") + " " + op + " " + right;
            value = step.result();
        }
        String question = "Compute " + expression + ".";
        TaskRecord task = new TaskRecord(DATASET + "/" + seed + "/" + index, DATASET, question,
                Long.toString(value), AnswerKind.NUMERIC);
        return new ArithmeticTask(task, expression, worked);
    }

    /** Tasks {@code from} .. {@code from + count - 1}. */
    public List<ArithmeticTask> tasks(long from, int count) {
        List<ArithmeticTask> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(task(from + i));
        return out;
    }

    private long operand(SplittableRandom random) {
        return minOperand + random.nextInt(maxOperand - minOperand + 1);
    }

    /** SplitMix64 finalizer over (seed, index): independent streams per task. */
    private static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
