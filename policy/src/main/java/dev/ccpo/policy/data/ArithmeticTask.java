package dev.ccpo.policy.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

        /** The step that applies op and right to left. */
        public static Step of(long left, char op, long right) {
            return new Step(left, op, right, switch (op) {
                case '+' -> left + right;
                case '-' -> left - right;
                case '*' -> left * right;
                default -> throw new IllegalArgumentException("operator must be one of + - *, got " + op);
            });
        }
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

    /**
     * The worked steps of a task {@link ArithmeticTaskGenerator} wrote ("Compute ((3 + 4) * 5) - 6."), read back from
     * its question: the expression nests to the left, so its numbers and operators in order are the steps. Empty for
     * another dataset or a question that is not such an expression or does not evaluate to the reference answer.
     */
    public static Optional<ArithmeticTask> parse(TaskRecord task) {
        String q = task.question().strip();
        if (!task.dataset().equals(ArithmeticTaskGenerator.DATASET) || !q.startsWith("Compute ") || !q.endsWith(".")) {
            return Optional.empty();
        }
        String expression = q.substring("Compute ".length(), q.length() - 1);
        String[] tokens = expression.replace("(", "").replace(")", "").trim().split("\\s+");
        if (tokens.length < 3 || tokens.length % 2 == 0) return Optional.empty();
        try {
            long value = Long.parseLong(tokens[0]);
            List<Step> steps = new ArrayList<>();
            for (int i = 1; i < tokens.length; i += 2) {
                if (tokens[i].length() != 1 || "+-*".indexOf(tokens[i].charAt(0)) < 0) return Optional.empty();
                Step step = Step.of(value, tokens[i].charAt(0), Long.parseLong(tokens[i + 1]));
                steps.add(step);
                value = step.result();
            }
            if (!Long.toString(value).equals(task.referenceAnswer().strip())) return Optional.empty();
            return Optional.of(new ArithmeticTask(task, expression, steps));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
