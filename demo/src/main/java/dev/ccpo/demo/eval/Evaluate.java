package dev.ccpo.demo.eval;

import dev.ccpo.cli.Cli;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.Devices;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
  * The {@code evaluate} command: pass@1 accuracy of a checkpoint per dataset, for the single-agent
  * CoT baseline and each topology, printed as a paper-like table.
  *
  * <pre>
  * evaluate --checkpoint=/tmp/ccpo-learner-ckpt --datasets=math500,gsm8k --limit=100
  * evaluate --checkpoint=model/ --datasets=synthetic --prompts.dir=prompts/ --temperature=0.7 --samples=4
  * </pre>
  */
public final class Evaluate {
    public static final String SERVICE = "evaluate";

    private Evaluate() {}

    /** The command's configuration keys. */
    public static ConfigSpec spec() {
        return new ConfigSpec(SERVICE)
                .string("checkpoint", "", "Model folder (config.json), learner checkpoint (thinker/ reasoner/ or shared/), "
                        + "or the learner's checkpoint.dir (newest step-N). Required.")
                .string("device", "auto", "DJL device: auto (CUDA when present), cpu, cuda or cuda:N.")
                .string("datasets", "synthetic", "Comma-separated: synthetic, a benchmark of data/ by name (math500, gsm8k, amc23, "
                        + "gaokao2023en, minerva_math, logiqa2, math_l3to5_train) or a file path in one of those formats.")
                .integer("limit", 50, 0, Integer.MAX_VALUE, "Tasks per dataset (the first N; 0 = all; synthetic: how many to make).")
                .string("methods", "cot,think_reason,voting", "Comma-separated rows: cot (single-agent baseline, "
                        + "think_reason.reasoner_solo prompt), think_reason, voting.")
                .integer("voters", 3, 2, 64, "Voters of the VOTING topology.")
                .decimal("temperature", 0.0, 0.0, 10.0, "Sampling temperature; 0 = greedy.")
                .decimal("top.p", 1.0, 1e-6, 1.0, "Nucleus sampling threshold; 1 = off.")
                .integer("samples", 1, 1, 1024, "Episodes per task; pass@1 = their mean reward (use 1 with greedy).")
                .integer("parallel.tasks", 8, 1, 1024, "Tasks evaluated at once; their greedy model calls are merged into one batch.")
                .integer("max.new.tokens", 256, 1, 1 << 16, "Most tokens an agent writes per turn.")
                .longKey("seed", 1234L, Long.MIN_VALUE, "Base sampling seed.")
                .string("prompts.dir", "", "Folder of prompt templates (<name>.txt) overriding the built-in ones; empty = built-in.")
                .longKey("synthetic.seed", 2026L, Long.MIN_VALUE, "Seed of the synthetic arithmetic tasks.")
                .integer("synthetic.steps", 2, 1, 32, "Operations per synthetic arithmetic task.")
                .integer("verifier.timeout.ms", 3000, 1, 600_000, "Time limit of one answer comparison.")
                .integer("progress.interval.ms", 2000, 0, 3_600_000, "How often the progress line is printed.")
                .string("output", "", "File to also write the table to (CSV of accuracies in [0, 1] if it ends in .csv, else the printed text); empty = none.");
    }

    public static void main(String[] args) {
        EvaluateSettings cfg = EvaluateSettings.from(Cli.configOrExit(spec(), args));
        try {
            run(cfg, System.out);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println(SERVICE + ": " + e.getMessage());
            System.exit(2);
        }
    }

    /** Opens the checkpoint named by {@code checkpoint}, evaluates, prints the table to out and returns it. */
    public static EvalTable run(Config cfg, PrintStream out) {
        return run(EvaluateSettings.from(cfg), out);
    }

    public static EvalTable run(EvaluateSettings cfg, PrintStream out) {
        String ckpt = cfg.checkpoint();
        if (ckpt.isBlank()) {
            throw new IllegalArgumentException("config key 'checkpoint' is required: a model folder or a learner checkpoint folder");
        }
        List<EvalDataset> datasets = datasets(cfg); // before loading the model: bad names fail fast
        out.println("evaluate: opening " + ckpt);
        try (CheckpointModels models = CheckpointModels.open(Path.of(ckpt), Devices.pick(cfg.device()))) {
            return run(cfg, models.models(), datasets, out);
        }
    }

    /** As {@link #run(Config, PrintStream)} with models already in memory (the demo's live policies). */
    public static EvalTable run(Config cfg, Map<String, ? extends ChatModel> models, PrintStream out) {
        EvaluateSettings s = EvaluateSettings.from(cfg);
        return run(s, CheckpointModels.of(models).models(), datasets(s), out);
    }

    static EvalTable run(EvaluateSettings cfg, Map<String, ChatModel> models, List<EvalDataset> datasets, PrintStream out) {
        List<EvalMethod> methods = EvalMethod.parse(cfg.methods(), cfg.voters());
        String promptsDir = cfg.promptsDir();
        if (!promptsDir.isBlank() && !Files.isDirectory(Path.of(promptsDir))) {
            throw new IllegalArgumentException("config key 'prompts.dir': folder not found: " + Path.of(promptsDir).toAbsolutePath());
        }
        PromptLibrary prompts = promptsDir.isBlank() ? new PromptLibrary() : new PromptLibrary(Path.of(promptsDir));
        SamplingParams params = cfg.sampling();
        int tasks = datasets.stream().mapToInt(d -> d.tasks().size()).sum();
        out.println("evaluate: " + methods.size() + " methods x " + datasets.size() + " datasets (" + tasks + " tasks), "
                + (params.temperature() == 0 ? "greedy" : "temperature " + params.temperature()) + ", " + cfg.samples()
                + " sample(s) per task");
        for (EvalDataset d : datasets) {
            if (d.skippedLines() > 0) {
                out.println("evaluate: " + d.name() + ": " + d.skippedLines() + " unreadable lines were skipped (see the log)");
            }
        }
        EvalTable table;
        try (Verifier verifier = new Verifier(Duration.ofMillis(cfg.verifierTimeoutMs()), Verifier.DEFAULT_REL_TOLERANCE)) {
            Evaluator evaluator = new Evaluator(prompts, verifier, out, cfg.progressIntervalMs());
            table = evaluator.evaluate(models, methods, datasets,
                    new Evaluator.Options(params, cfg.samples(), cfg.seed(), cfg.parallelTasks()));
        }
        String text = table.format();
        out.println();
        out.print(text);
        String output = cfg.output();
        if (!output.isBlank()) {
            try {
                Path p = Path.of(output).toAbsolutePath();
                Files.createDirectories(p.getParent());
                Files.writeString(p, p.toString().endsWith(".csv") ? table.toCsv() : text, StandardCharsets.UTF_8);
                out.println("evaluate: table written to " + p);
            } catch (IOException e) {
                throw new UncheckedIOException("config key 'output': cannot write " + output, e);
            }
        }
        return table;
    }

    private static boolean columnTaken(List<EvalDataset> datasets, String name) {
        return datasets.stream().anyMatch(d -> d.name().equals(name));
    }

    /** The datasets named by {@code datasets}, each cut to {@code limit}. */
    public static List<EvalDataset> datasets(Config cfg) {
        return datasets(EvaluateSettings.from(cfg));
    }

    static List<EvalDataset> datasets(EvaluateSettings cfg) {
        int limit = cfg.limit();
        List<EvalDataset> out = new ArrayList<>();
        for (String raw : cfg.datasets().split(",")) {
            String name = raw.strip();
            if (name.isEmpty()) {
                continue;
            }
            EvalDataset d = name.equals(EvalDataset.SYNTHETIC)
                    ? EvalDataset.synthetic(cfg.syntheticSeed(), cfg.syntheticSteps(), limit > 0 ? limit : 50)
                    : EvalDataset.load(name, limit);
            // Two files of one format would share a column name: number the later ones.
            String column = d.name();
            for (int k = 2; columnTaken(out, column); k++) {
                column = d.name() + "#" + k;
            }
            out.add(new EvalDataset(column, d.tasks(), d.skippedLines()));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("config key 'datasets' names no dataset");
        }
        return out;
    }
}
