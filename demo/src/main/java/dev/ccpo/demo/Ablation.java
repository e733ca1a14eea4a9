package dev.ccpo.demo;

import dev.ccpo.analytics.CreditQuality;
import dev.ccpo.config.Config;
import dev.ccpo.demo.ablation.AblationPlan;
import dev.ccpo.demo.ablation.AblationSummary;
import dev.ccpo.demo.ablation.AblationSummary.RunResult;
import dev.ccpo.demo.report.LineChart;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Credit modes × seeds × team shapes (ablation.modes, ablation.seeds, ablation.shapes), one fresh pipeline after the
 * other with the same budget and settings; only team, seed and credit.mode differ between the runs. Writes
 * ablation.md (mean ± 95 % t-interval over seeds per shape and mode) and one accuracy plot with bands per shape
 * into &lt;work.dir&gt;/ablation, each run's own report under &lt;shape&gt;/seed&lt;k&gt;/&lt;mode&gt;.
 */
public final class Ablation {

    private Ablation() {}

    /** args: the demo's --key=value arguments; each run appends its own --team, --seed, --credit.mode, --report.dir. */
    public static List<RunResult> run(String[] args, Map<String, String> env, PrintStream out) throws Exception {
        Config base = Config.load(Demo.spec(), args, env);
        AblationPlan plan = AblationPlan.parse(base.string("ablation.shapes"), base.string("ablation.seeds"), base.string("ablation.modes"));
        Path dir = Path.of(base.string("work.dir")).toAbsolutePath().resolve("ablation");
        List<AblationPlan.Run> runs = plan.runs();
        List<RunResult> results = new ArrayList<>();
        long started = System.nanoTime();
        for (AblationPlan.Run run : runs) {
            out.printf("=== ablation %d of %d: %s (%.1f minutes so far) ===%n", results.size() + 1, runs.size(), run,
                    (System.nanoTime() - started) / 60e9);
            Demo.Outcome o = new Demo(Config.load(Demo.spec(), run.args(args, dir), env), out).run();
            results.add(result(run, o));
            write(dir, results, base.integer("eval.every")); // after every run: an interrupted ablation keeps what it measured
        }
        out.println(AblationSummary.markdown(results));
        out.println("ablation report: " + dir + " (ablation.md, accuracy-<shape>.png; each run's report in <shape>/seed<k>/<mode>)");
        return results;
    }

    /** What the summary needs of one run's outcome. */
    static RunResult result(AblationPlan.Run run, Demo.Outcome o) {
        TreeMap<Long, Double> team = new TreeMap<>();
        o.evaluations().forEach((v, r) -> team.put(v, r.team()));
        Map<String, AblationSummary.Credit> credit = new LinkedHashMap<>();
        for (CreditQuality.Figures f : o.creditQuality()) {
            credit.put(f.role(), new AblationSummary.Credit(f.auc(), f.rewardedMistakes(), f.punishedSuccesses()));
        }
        return new RunResult(run, team, o.last() == null ? Map.of() : o.last().agentAccuracy(), credit);
    }

    static void write(Path dir, List<RunResult> results, int every) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("ablation.md"), AblationSummary.markdown(results));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("ablation.md"), e);
        }
        Map<String, List<RunResult>> byShape = new LinkedHashMap<>();
        results.forEach(r -> byShape.computeIfAbsent(r.run().shape(), k -> new ArrayList<>()).add(r));
        byShape.forEach((shape, rs) -> accuracyChart(shape, rs, every).writePng(dir.resolve("accuracy-" + shape + ".png"), 900, 560));
    }

    /** Held-out team accuracy per mode: the mean over seeds as a line, its 95 % t-interval as a band. */
    static LineChart accuracyChart(String shape, List<RunResult> runsOfShape, int every) {
        LineChart chart = new LineChart("Held-out team accuracy, " + shape + " (mean and 95% t-interval over seeds)",
                "policy version", "team accuracy").yRange(0, 1);
        for (AblationSummary.Band b : AblationSummary.accuracyBands(runsOfShape, every)) {
            chart.add(b.mode(), b.versions(), b.mean(), b.lower(), b.upper());
        }
        return chart;
    }
}
