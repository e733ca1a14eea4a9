package dev.ccpo.demo;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.Roles;
import dev.ccpo.learner.AdamW;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import dev.ccpo.policy.model.TextTokenizer;
import dev.ccpo.policy.team.PromptLibrary;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Supervised warm start of the demo's tiny team model, so that RL starts with signal. One model learns the three
 * turns of the THINK_REASON protocol on synthetic traces: the Thinker writes its worked steps, the Reasoner finishes
 * from the plan's result (its own steps, if {@link DemoTasks#reasonerSteps()} gives it any) into \boxed{}, and the
 * Reasoner alone (the counterfactual) answers in one shot. The last is much harder for a tiny model than working
 * from a plan, which is what makes the Thinker's contribution real and measurable.
 * The result is cached in a folder named after the settings: a second run loads it.
 */
public final class WarmStart {

    /** Which turns the model learns: the THINK_REASON protocol's three, or a voter's whole answer. */
    public enum Protocol { THINK_REASON, VOTER }

    /** Architecture and training budget; {@link #key()} names the cache folder. */
    public record Settings(int hidden, int layers, int steps, int batchSize, double lr, long seed, DemoTasks tasks, Protocol protocol) {
        public Settings(int hidden, int layers, int steps, int batchSize, double lr, long seed, DemoTasks tasks) {
            this(hidden, layers, steps, batchSize, lr, seed, tasks, Protocol.THINK_REASON);
        }

        ModelConfig modelConfig() {
            return new ModelConfig("qwen2", CharTokenizer.VOCAB, hidden, layers, 4, 2, hidden * 2, 10000.0, 1e-6, true, true, 256);
        }

        String key() {
            return String.format(Locale.ROOT, "h%d-l%d-s%d-b%d-lr%s-seed%d-%s%s", hidden, layers, steps, batchSize, lr, seed, tasks.key(),
                    protocol == Protocol.VOTER ? "-voter" : "");
        }
    }

    /** One supervised example: the rendered prompt and the completion to imitate (ending with the end-of-turn token). */
    record Example(int[] prompt, int[] completion) {}

    private WarmStart() {}

    /** The cached checkpoint folder for these settings, training it first when it is not there yet. */
    public static Path ensure(Path cacheRoot, Settings s, PromptLibrary prompts, PrintStream out) {
        Path dir = cacheRoot.resolve("warm-start-" + s.key());
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            out.println("warm start: using the cached model in " + dir);
            return dir;
        }
        out.printf("warm start: training a %d-layer, %d-wide model on synthetic traces (%d steps of %d examples; cached in %s)%n",
                s.layers(), s.hidden(), s.steps(), s.batchSize(), dir);
        try (CausalLM model = CausalLM.init(s.modelConfig(), new CharTokenizer(), s.seed(), Device.cpu())) {
            train(model, s, prompts, out);
            // write next to the target and rename: an interrupted run never leaves a half-written cache behind
            Path tmp = Files.createTempDirectory(cacheRoot, ".warm-start-");
            model.save(tmp);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the warm-start model into " + cacheRoot, e);
        }
        return dir;
    }

    /** Teacher-forced cross-entropy on the completions, AdamW from the learner. */
    static void train(CausalLM model, Settings s, PromptLibrary prompts, PrintStream out) {
        model.setTrainable(true);
        SplittableRandom random = new SplittableRandom(s.seed());
        Progress progress = new Progress("warm start", "steps", s.steps(), 3000, out);
        try (NDManager manager = NDManager.newBaseManager(model.device())) {
            AdamW opt = new AdamW(new AdamW.Settings(s.lr(), 0.9, 0.99, 1e-8, 0.0, Math.max(1, s.steps() / 20), 1.0), manager);
            Map<String, NDArray> params = model.parameters();
            double ema = Double.NaN;
            for (int step = 1; step <= s.steps(); step++) {
                List<Example> batch = new ArrayList<>(s.batchSize());
                while (batch.size() < s.batchSize()) {
                    ArithmeticTask task = s.tasks().training(random.nextLong(Long.MAX_VALUE));
                    batch.addAll(s.protocol() == Protocol.VOTER ? voterExamples(task, prompts, model.tokenizer())
                            : examples(s.tasks(), task, prompts, model.tokenizer()));
                }
                double loss = step(model, manager, opt, params, batch);
                ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
                progress.update(step, String.format(Locale.ROOT, "loss %.3f (nats/token)", ema));
            }
        }
        model.setTrainable(false);
    }

    private static double step(CausalLM model, NDManager manager, AdamW opt, Map<String, NDArray> params, List<Example> batch) {
        try (NDManager sub = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            List<int[]> prompts = batch.stream().map(Example::prompt).toList();
            List<int[]> completions = batch.stream().map(Example::completion).toList();
            NDArray lp = model.completionLogProbs(sub, prompts, completions, 1f);
            int width = (int) lp.getShape().get(1);
            float[] mask = new float[batch.size() * width];
            long tokens = 0;
            for (int r = 0; r < batch.size(); r++) {
                for (int j = 0; j < completions.get(r).length; j++) mask[r * width + j] = 1f;
                tokens += completions.get(r).length;
            }
            NDArray loss = lp.mul(sub.create(mask, new Shape(batch.size(), width))).sum().neg().div((float) tokens);
            gc.backward(loss);
            opt.accumulate(params);
            opt.step(params);
            return loss.getFloat();
        }
    }

    /** The three supervised turns of one task. */
    static List<Example> examples(DemoTasks tasks, ArithmeticTask task, PromptLibrary prompts, TextTokenizer tok) {
        String plan = tasks.thinkerPlan(task);
        return List.of(
                example(tok, prompts.render(DemoTasks.THINKER_TEMPLATE, Roles.THINKER, task.task(), null), plan),
                example(tok, prompts.render(DemoTasks.REASONER_TEMPLATE, Roles.REASONER, task.task(), plan), tasks.reasonerAnswer(task)),
                example(tok, prompts.render(DemoTasks.SOLO_TEMPLATE, Roles.REASONER, task.task(), null), DemoTasks.boxedAnswer(task)));
    }

    /** A voter's one turn of a task. */
    static List<Example> voterExamples(ArithmeticTask task, PromptLibrary prompts, TextTokenizer tok) {
        return List.of(example(tok, prompts.render(DemoTasks.VOTER_TEMPLATE, Roles.VOTER, task.task(), null), DemoTasks.voterAnswer(task)));
    }

    private static Example example(TextTokenizer tok, List<dev.ccpo.policy.ChatMessage> conversation, String answer) {
        int[] text = tok.encode(answer);
        int[] completion = java.util.Arrays.copyOf(text, text.length + 1);
        completion[text.length] = tok.endOfTurnIds()[0];
        return new Example(tok.applyChatTemplate(conversation), completion);
    }
}
