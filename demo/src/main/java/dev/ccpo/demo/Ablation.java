package dev.ccpo.demo;

import dev.ccpo.config.Config;
import dev.ccpo.demo.report.MetricsTable;
import dev.ccpo.demo.report.Report;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The same budget, warm start and seeds with each credit mode, one fresh pipeline after the other; prints the
 * held-out accuracies side by side and plots them. Only credit.mode differs between the runs.
 */
public final class Ablation {
    static final List<String> MODES = List.of("ccpo", "shared", "ccpo-bonus");

    private Ablation() {}

    /** args: the demo's --key=value arguments; each run adds its --credit.mode (the last value of a key wins). */
    public static List<Demo.Outcome> run(String[] args, Map<String, String> env, List<String> modes, PrintStream out) throws Exception {
        List<Demo.Outcome> outcomes = new ArrayList<>();
        Config base = Config.load(Demo.spec(), args, env);
        for (String mode : modes) {
            out.printf("=== ablation: credit.mode=%s (%d of %d) ===%n", mode, outcomes.size() + 1, modes.size());
            String[] withMode = java.util.Arrays.copyOf(args, args.length + 1);
            withMode[args.length] = "--credit.mode=" + mode;
            outcomes.add(new Demo(Config.load(Demo.spec(), withMode, env), out).run());
        }
        Path dir = Path.of(base.string("work.dir")).toAbsolutePath().resolve("ablation");
        String table = table(outcomes);
        out.println(table);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("ablation.md"), table);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir, e);
        }
        Map<String, MetricsTable> runs = new LinkedHashMap<>();
        for (Demo.Outcome o : outcomes) runs.put(o.creditMode(), o.metrics());
        new Report().writeAblation(dir, runs);
        out.println("ablation report: " + dir + " (ablation.md, per-mode metrics CSV, accuracy/reward/Thinker-credit plots)");
        return outcomes;
    }

    /** Markdown: one row per credit mode, held-out accuracies at the warm start and at the last evaluated version. */
    static String table(List<Demo.Outcome> outcomes) {
        StringBuilder sb = new StringBuilder("| credit mode | versions | team acc. (warm start) | team acc. (last) | Reasoner alone (last) | Thinker's plan right (last) |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Demo.Outcome o : outcomes) {
            HeldOutEval.Result first = o.evaluations().get(0L);
            HeldOutEval.Result last = o.last();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f | %.3f |%n", o.creditMode(), o.versions(),
                    first.team(), last.team(), last.solo(), last.thinkerPlan()));
        }
        return sb.toString();
    }
}
