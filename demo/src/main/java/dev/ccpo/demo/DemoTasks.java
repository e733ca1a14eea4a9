package dev.ccpo.demo;

import dev.ccpo.kit.WireMapping;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.ArithmeticTaskGenerator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's task: multi-step integer arithmetic ("Compute (7 * 3) + 2."), operands 1..maxOperand, multipliers up to 9.
 * Training tasks come from {@code seed}; the held-out set from another seed. The prompts are short on purpose: the
 * tiny character-level model reads every character.
 * <p>
 * The work is split between the agents: the Thinker's plan works out the first {@code steps - reasonerSteps} steps,
 * the Reasoner works out the last {@code reasonerSteps} from the plan's result and boxes the answer. With
 * {@code reasonerSteps = 0} the plan carries the answer and the Reasoner only copies it.
 */
public record DemoTasks(long seed, int steps, int maxOperand, int reasonerSteps) {
    public static final String THINKER_TEMPLATE = "think_reason.thinker";
    public static final String REASONER_TEMPLATE = "think_reason.reasoner";
    public static final String SOLO_TEMPLATE = "think_reason.reasoner_solo";
    public static final String VOTER_TEMPLATE = "voting.voter";
    static final List<String> TEMPLATES = List.of(THINKER_TEMPLATE, REASONER_TEMPLATE, SOLO_TEMPLATE, VOTER_TEMPLATE);
    static final int MIN_OPERAND = 1;
    private static final long HELD_OUT_SALT = 0x5EED_0FF5E7L;

    public DemoTasks {
        if (reasonerSteps < 0 || reasonerSteps >= steps) {
            throw new IllegalArgumentException("task.reasoner.steps must be in 0.." + (steps - 1) + " (the Thinker needs at least one of the "
                    + steps + " steps), got " + reasonerSteps);
        }
    }

    /** The Thinker's part: the plan of the first steps. */
    public String thinkerPlan(ArithmeticTask t) {
        return t.workedSteps(0, steps - reasonerSteps);
    }

    /** The result the Thinker's plan ends with when it is right. */
    public long planResult(ArithmeticTask t) {
        return t.steps().get(steps - reasonerSteps - 1).result();
    }

    /** The Reasoner's part after a plan: its own steps, if any, then the boxed answer. */
    public String reasonerAnswer(ArithmeticTask t) {
        return reasonerSteps == 0 ? boxedAnswer(t) : t.workedSteps(steps - reasonerSteps, steps) + "\n" + boxedAnswer(t);
    }

    /** The final answer as the verifier reads it; also what the Reasoner alone writes. */
    public static String boxedAnswer(ArithmeticTask t) {
        return "\\boxed{" + t.answer() + "}";
    }

    /**
     * A voter's whole answer: every step, short ("3 + 4 = 7"), then the boxed answer; short so that two steps and the
     * answer (about 32 characters) fit in the demo's max.new.tokens.
     */
    public static String voterAnswer(ArithmeticTask t) {
        StringBuilder sb = new StringBuilder();
        for (ArithmeticTask.Step step : t.steps()) sb.append(step.text()).append('\n');
        return sb.append(boxedAnswer(t)).toString();
    }

    public ArithmeticTask training(long index) {
        return new ArithmeticTaskGenerator(seed, steps, MIN_OPERAND, maxOperand).task(index);
    }

    /** Tasks no training stream of this seed is built from (another generator seed). */
    public List<ArithmeticTask> heldOut(int count) {
        ArithmeticTaskGenerator gen = new ArithmeticTaskGenerator(seed ^ HELD_OUT_SALT, steps, MIN_OPERAND, maxOperand);
        List<ArithmeticTask> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(gen.task(i));
        return out;
    }

    String key() {
        return "arith" + steps + "x" + maxOperand + (reasonerSteps == 0 ? "" : "r" + reasonerSteps) + "-seed" + seed;
    }

    /** Task {@code index} of the training stream as the Avro record the generator reads from ccpo.tasks. */
    public dev.ccpo.avro.Task record(long index) {
        return WireMapping.toWire(training(index).task());
    }

    /** Writes the demo's prompt templates into dir (the workers' {@code prompts.dir}). */
    public static Path writePrompts(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String name : TEMPLATES) {
                try (InputStream in = DemoTasks.class.getResourceAsStream("/demo-prompts/" + name + ".txt")) {
                    if (in == null) throw new IllegalStateException("missing resource demo-prompts/" + name + ".txt");
                    Files.copy(in, dir.resolve(name + ".txt"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo prompts into " + dir, e);
        }
    }
}
