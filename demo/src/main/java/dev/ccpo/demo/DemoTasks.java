package dev.ccpo.demo;

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
 */
public record DemoTasks(long seed, int steps, int maxOperand) {
    public static final String THINKER_TEMPLATE = "think_reason.thinker";
    public static final String REASONER_TEMPLATE = "think_reason.reasoner";
    public static final String SOLO_TEMPLATE = "think_reason.reasoner_solo";
    static final List<String> TEMPLATES = List.of(THINKER_TEMPLATE, REASONER_TEMPLATE, SOLO_TEMPLATE, "voting.voter");
    static final int MIN_OPERAND = 1;
    private static final long HELD_OUT_SALT = 0x5EED_0FF5E7L;

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
        return "arith" + steps + "x" + maxOperand + "-seed" + seed;
    }

    /** Task {@code index} of the training stream as the Avro record the generator reads from ccpo.tasks. */
    public dev.ccpo.avro.Task record(long index) {
        dev.ccpo.policy.data.TaskRecord t = training(index).task();
        return dev.ccpo.avro.Task.newBuilder().setTaskId(t.taskId()).setDataset(t.dataset()).setQuestion(t.question())
                .setReferenceAnswer(t.referenceAnswer()).setAnswerKind(dev.ccpo.avro.AnswerKind.valueOf(t.answerKind().name()))
                .setChoices(t.choices()).build();
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
