package dev.ccpo.policy.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;

class ArithmeticTaskGeneratorTest {

    @Test
    void sameSeedSameTasksAndTasksAreAddressable() {
        ArithmeticTaskGenerator a = new ArithmeticTaskGenerator(7, 3, 1, 9);
        ArithmeticTaskGenerator b = new ArithmeticTaskGenerator(7, 3, 1, 9);
        assertEquals(a.tasks(0, 50), b.tasks(0, 50));
        assertEquals(a.task(17), b.tasks(10, 10).get(7));
        assertNotEquals(a.tasks(0, 20), new ArithmeticTaskGenerator(8, 3, 1, 9).tasks(0, 20));
    }

    @Test
    void answersAreTheValueOfTheExpression() {
        ArithmeticTaskGenerator g = new ArithmeticTaskGenerator(42, 4, 0, 20);
        Set<String> questions = new HashSet<>();
        for (ArithmeticTask t : g.tasks(0, 500)) {
            assertEquals(4, t.steps().size());
            assertEquals(AnswerKind.NUMERIC, t.task().answerKind());
            assertEquals(Long.toString(evaluate(t.expression())), t.task().referenceAnswer(), t.expression());
            assertTrue(t.answer() >= 0, "no negative values by default");
            for (int i = 1; i < t.steps().size(); i++) {
                assertEquals(t.steps().get(i - 1).result(), t.steps().get(i).left(), "steps chain");
            }
            questions.add(t.task().question());
        }
        assertTrue(questions.size() > 450, "varied questions: " + questions.size());
    }

    @Test
    void planSpellsOutEveryIntermediateResult() {
        ArithmeticTask t = new ArithmeticTaskGenerator(3, 3, 1, 9).task(0);
        List<String> lines = t.plan().lines().toList();
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).endsWith("= " + t.answer()), t.plan());
        assertTrue(t.task().question().startsWith("Compute "), t.task().question());
        try (Verifier v = new Verifier()) {
            assertEquals(1.0, v.score("From the plan, the result is \\boxed{" + t.answer() + "}", t.task().referenceAnswer(), AnswerKind.NUMERIC));
            assertEquals(1.0, v.score(t.plan(), t.task().referenceAnswer(), AnswerKind.NUMERIC), "last number of the plan");
        }
    }

    @Test
    void workedStepsSplitThePlanWhereTheThinkerHandsOver() {
        ArithmeticTask t = new ArithmeticTaskGenerator(3, 3, 1, 9).task(1);
        assertEquals(t.plan(), t.workedSteps(0, 2) + "\n" + t.workedSteps(2, 3));
        assertTrue(t.workedSteps(2, 3).startsWith("Step 3: " + t.steps().get(1).result() + " "), "the Reasoner's step starts from the plan's result");
        assertEquals("", t.workedSteps(1, 1));
        assertThrows(IllegalArgumentException.class, () -> t.workedSteps(0, 4));
    }

    /** Independent check: evaluates "((a op b) op c) op d" with the usual left-to-right nesting. */
    private static long evaluate(String expression) {
        String s = expression.replace("(", "").replace(")", "");
        String[] tokens = s.split(" ");
        long value = Long.parseLong(tokens[0]);
        for (int i = 1; i < tokens.length; i += 2) {
            long right = Long.parseLong(tokens[i + 1]);
            value = switch (tokens[i]) {
                case "+" -> value + right;
                case "-" -> value - right;
                case "*" -> value * right;
                default -> throw new IllegalStateException(tokens[i]);
            };
        }
        return value;
    }
}
