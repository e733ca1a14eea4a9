package dev.ccpo.policy.data;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A synthetic multi-step arithmetic task with its worked steps. {@link #plan()} is the kind of
 * thought a Thinker should write: every intermediate result, so a Reasoner only has to copy the
 * last one. {@link #workedSteps(int, int)} splits the work instead: a plan of the first steps for
 * the Thinker, the rest for the Reasoner.
 */
public record ArithmeticTask(TaskRecord task, String expression, List<Step> steps) {

    public ArithmeticTask {
        steps = List.copyOf(steps);
    }

    /** One operation: left op right = result. */
    public record Step(long left, char op, long right, long result) {
        public String text() { return left + " " + op + " " + right + " = " + result; }
    }

    public long answer() { return steps.get(steps.size() - 1).result(); }

    /** "Step 1: 3 + 4 = 7\nStep 2: 7 * 5 = 35\n...": all the steps. */
    public String plan() {
        return workedSteps(0, steps.size());
    }

    /** The lines of steps {@code from} (inclusive) to {@code to} (exclusive), numbered from 1 as in {@link #plan()}. */
    public String workedSteps(int from, int to) {
        if (from < 0 || to > steps.size() || from > to) {
            throw new IllegalArgumentException("steps " + from + ".." + to + " of a " + steps.size() + "-step task");
        }
        return IntStream.range(from, to)
                .mapToObj(i -> "Step " + (i + 1) + ": " + steps.get(i).text())
                .collect(Collectors.joining("\n"));
    }
}
