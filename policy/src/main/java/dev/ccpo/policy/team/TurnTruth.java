package dev.ccpo.policy.team;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ccpo.config.Roles;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.Verifier;

/**
 * The ground truth of each agent's own turn, where the task makes it known, so that credit can be checked against
 * it (does a right turn get a higher advantage than a wrong one?). Never a training signal.
 * <ul>
 *   <li>VOTING, any dataset: a voter is right when its own answer is equivalent to the reference.</li>
 *   <li>THINK_REASON, synthetic arithmetic: the Thinker is right when its plan has at least one worked step and
 *       every step line ("Step i: a op b = c") is the task's step i; the Reasoner is right when its answer is what
 *       the task's remaining steps give from the plan's last result ({@code k} step lines: steps k+1..n applied to
 *       that result; no step line: the whole task). A Reasoner that carries a wrong plan through faithfully did
 *       its part: right, though the team answer is wrong.</li>
 * </ul>
 * Unknown (null): THINK_REASON on other datasets, and a turn that was skipped after a truncation.
 */
public final class TurnTruth {
    private static final Pattern STEP = Pattern.compile(
            "Step\\s*(\\d+)\\s*:\\s*(-?\\d+)\\s*([+\\-*])\\s*(-?\\d+)\\s*=\\s*(-?\\d+)");

    private TurnTruth() {}

    /** Per turn (same order): TRUE, FALSE or null (unknown). */
    public static List<Boolean> judge(TeamSpec team, TaskRecord task, List<AgentTurn> turns, Verifier verifier) {
        List<Boolean> out = new ArrayList<>(turns.size());
        Optional<ArithmeticTask> arithmetic = team.topology() == Topology.THINK_REASON ? ArithmeticTask.parse(task) : Optional.empty();
        for (AgentTurn turn : turns) {
            if (turn.finishReason() == Completion.FinishReason.SKIPPED) {
                out.add(null);
                continue;
            }
            out.add(switch (team.topology()) {
                case VOTING -> verifier.extractAnswer(turn.text(), task.answerKind(), task.choices())
                        .map(a -> verifier.equivalent(a, task.referenceAnswer(), task.answerKind())).orElse(false);
                case THINK_REASON -> arithmetic.map(a -> turn.role().equals(Roles.THINKER)
                        ? planIsRight(a, turn.text())
                        : reasonerIsRight(a, planOf(turns), turn.text(), verifier)).orElse(null);
            });
        }
        return out;
    }

    private static String planOf(List<AgentTurn> turns) {
        return turns.stream().filter(t -> t.role().equals(Roles.THINKER)).map(AgentTurn::text).findFirst().orElse("");
    }

    /** The plan's step lines as the task's steps would be written: number, left, op, right, stated result. */
    private record Line(int number, long left, char op, long right, long result) {}

    private static List<Line> lines(String plan) {
        List<Line> lines = new ArrayList<>();
        Matcher m = STEP.matcher(plan);
        while (m.find()) {
            try {
                lines.add(new Line(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), m.group(3).charAt(0),
                        Long.parseLong(m.group(4)), Long.parseLong(m.group(5))));
            } catch (NumberFormatException e) {
                lines.add(new Line(-1, 0, '?', 0, 0)); // a number too long to be any step: a wrong line
            }
        }
        return lines;
    }

    static boolean planIsRight(ArithmeticTask task, String plan) {
        List<Line> lines = lines(plan);
        if (lines.isEmpty() || lines.size() > task.steps().size()) return false;
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            ArithmeticTask.Step s = task.steps().get(i);
            if (l.number() != i + 1 || l.left() != s.left() || l.op() != s.op() || l.right() != s.right() || l.result() != s.result()) {
                return false;
            }
        }
        return true;
    }

    /** The answer a Reasoner that does its part right gives after this plan. */
    static long expectedAfter(ArithmeticTask task, String plan) {
        List<Line> lines = lines(plan);
        int k = Math.min(lines.size(), task.steps().size());
        long value = k == 0 ? task.steps().get(0).left() : lines.get(k - 1).result();
        for (int i = k; i < task.steps().size(); i++) {
            ArithmeticTask.Step s = task.steps().get(i);
            value = ArithmeticTask.Step.of(value, s.op(), s.right()).result();
        }
        return value;
    }

    private static boolean reasonerIsRight(ArithmeticTask task, String plan, String output, Verifier verifier) {
        long expected = expectedAfter(task, plan);
        return verifier.extractAnswer(output, task.task().answerKind(), task.task().choices())
                .map(a -> verifier.equivalent(a, Long.toString(expected), task.task().answerKind())).orElse(false);
    }
}
