package dev.ccpo.demo;

import dev.ccpo.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The demo's settings, read once from the {@link Config} (keys, defaults and docs: {@link Demo#spec()}); the demo
 * never looks a key up by name after this.
 */
public record DemoSettings(
        Path workDir, String reportDir, CreditMode creditMode, Team team, List<Double> voterShares,
        double budgetMinutes, int maxVersions, long seed,
        int taskSteps, int taskMaxOperand, int taskReasonerSteps, int taskCount,
        int groupSize, int groupsPerVersion, int maxPolicyLag, int counterfactualBatch, int maxNewTokens, double temperature,
        int alternateSteps, double rlLr, int warmSteps, int warmBatch, double warmLr, int modelHidden, int modelLayers,
        int evalTasks, int evalEvery, int statsWindowMs, int statsWindowGraceMs, String creditRelease,
        String serviceHeap, int demoThreads, boolean analytics, int analyticsPort, int brokers, Security security) {

    /** credit.mode: the credit app's rule, by the word the credit app takes. */
    public enum CreditMode {
        CCPO, CCPO_BONUS, SHARED;

        public String word() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        static CreditMode parse(String word) { return valueOf(word.toUpperCase(Locale.ROOT).replace('-', '_')); }
    }

    /** team: think-reason or voting. */
    public enum Team { THINK_REASON, VOTING }

    /** security: the broker's, plaintext or SASL/SCRAM with ACLs. */
    public enum Security { PLAINTEXT, SASL }

    public DemoSettings {
        voterShares = List.copyOf(voterShares);
    }

    /** Parses every key once; voting.strengths is checked only for team=voting (its shares are empty otherwise). */
    public static DemoSettings from(Config c) {
        Team team = c.string("team").equals("voting") ? Team.VOTING : Team.THINK_REASON;
        return new DemoSettings(Path.of(c.string("work.dir")).toAbsolutePath(), c.string("report.dir"),
                CreditMode.parse(c.string("credit.mode")), team,
                team == Team.VOTING ? votingStrengths(c.string("voting.strengths")) : List.of(),
                c.decimal("budget.minutes"), c.integer("max.versions"), c.longValue("seed"),
                c.integer("task.steps"), c.integer("task.max.operand"), c.integer("task.reasoner.steps"), c.integer("task.count"),
                c.integer("group.size"), c.integer("groups.per.version"), c.integer("max.policy.lag"),
                c.integer("counterfactual.batch"), c.integer("max.new.tokens"), c.decimal("temperature"),
                c.integer("alternate.steps"), c.decimal("rl.lr"),
                c.integer("warm.steps"), c.integer("warm.batch"), c.decimal("warm.lr"), c.integer("model.hidden"), c.integer("model.layers"),
                c.integer("eval.tasks"), c.integer("eval.every"), c.integer("stats.window.ms"), c.integer("stats.window.grace.ms"),
                c.string("credit.release"), c.string("service.heap"), c.integer("demo.threads"), c.bool("analytics"), c.integer("analytics.port"),
                c.integer("brokers"), c.string("security").equals("sasl") ? Security.SASL : Security.PLAINTEXT);
    }

    public boolean voting() { return team == Team.VOTING; }

    /** The report folder: report.dir, else work.dir/report-(credit.mode). */
    public Path reportPath() {
        return reportDir.isBlank() ? workDir.resolve("report-" + creditMode.word()) : Path.of(reportDir);
    }

    /** voting.strengths as shares of warm.steps; the message names the key and what it accepts. */
    static List<Double> votingStrengths(String value) {
        List<Double> shares = new ArrayList<>();
        for (String s : value.split(",")) {
            if (s.isBlank()) continue;
            double share;
            try {
                share = Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                share = Double.NaN;
            }
            if (!(share > 0 && share <= 1)) throw new IllegalArgumentException("voting.strengths: '" + s.strip() + "' is not a share in (0, 1]");
            shares.add(share);
        }
        if (shares.size() < 2) throw new IllegalArgumentException("voting.strengths needs one share per voter, at least 2 voters; got '" + value + "'");
        return shares;
    }
}
