package dev.ccpo.policy.data;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A synthetic multi-step arithmetic task with its worked steps. {@link #plan()} is the kind of
 * thought a Thinker should write: every intermediate result, so a Reasoner only has to copy the
 * last one — the plan carries the answer, which makes the Thinker's contribution measurable.
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

    /** "Step 1: 3 + 4 = 7\nStep 2: 7 * 5 = 35\n..." */
    public String plan() {
        return IntStream.range(0, steps.size())
                .mapToObj(i -> "Step " + (i + 1) + ": " + steps.get(i).text())
                .collect(Collectors.joining("\n"));
    }
}
