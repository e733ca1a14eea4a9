package dev.ccpo.demo.report;

import dev.ccpo.config.Roles;
import dev.ccpo.demo.report.MetricsTable.Columns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
  * Writes the demo's report folder: metrics.csv, metrics.json, learning-curve.png (team accuracy
  * and mean reward vs policy version), credit-by-role.png (per-role mean marginal contribution vs
  * version) and advantages.png (advantage histograms per role).
  */
public final class Report {
    public static final String METRICS_CSV = "metrics.csv";
    public static final String METRICS_JSON = "metrics.json";
    public static final String LEARNING_CURVE_PNG = "learning-curve.png";
    public static final String CREDIT_BY_ROLE_PNG = "credit-by-role.png";
    public static final String ADVANTAGES_PNG = "advantages.png";
    public static final String CREDIT_QUALITY_PNG = "credit-quality.png";

    private final int width;
    private final int height;

    public Report() {
        this(900, 540);
    }

    public Report(int width, int height) {
        this.width = width;
        this.height = height;
    }

    /**
      * Writes every file into {@code dir} (created if needed) and returns their paths in the order
      * above. The x axis is the {@code policy_version} column, else {@code step}, else the row index.
      * Charts whose columns are absent are still written (empty, with their axes) so the folder
      * always has the same files.
      *
      * @param advantagesByRole advantage samples per role (insertion order = legend order)
      */
    public List<Path> write(Path dir, MetricsTable table, Map<String, double[]> advantagesByRole) {
        List<Path> files = new ArrayList<>();
        Path csv = dir.resolve(METRICS_CSV);
        table.writeCsv(csv);
        files.add(csv);
        Path json = dir.resolve(METRICS_JSON);
        table.writeJson(json);
        files.add(json);

        String xName = table.hasColumn(Columns.POLICY_VERSION) ? Columns.POLICY_VERSION
                : table.hasColumn(Columns.STEP) ? Columns.STEP : "row";
        double[] xs = xAxis(table, xName);

        LineChart learning = learningCurve(table, xs, xName);
        Path lc = dir.resolve(LEARNING_CURVE_PNG);
        learning.writePng(lc, width, height);
        files.add(lc);

        LineChart credit = creditByRole(table, xs, xName);
        Path cr = dir.resolve(CREDIT_BY_ROLE_PNG);
        credit.writePng(cr, width, height);
        files.add(cr);

        LineChart quality = creditQuality(table, xs, xName);
        Path cq = dir.resolve(CREDIT_QUALITY_PNG);
        quality.writePng(cq, width, height);
        files.add(cq);

        Histogram adv = new Histogram("Advantages by role", "advantage");
        advantagesByRole.forEach(adv::add);
        Path ad = dir.resolve(ADVANTAGES_PNG);
        adv.writePng(ad, width, height);
        files.add(ad);
        return files;
    }

    static double[] xAxis(MetricsTable table, String xName) {
        if (table.hasColumn(xName)) {
            return table.column(xName);
        }
        double[] xs = new double[table.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = i;
        }
        return xs;
    }

    /** Team accuracy and mean reward against the x column. */
    public static LineChart learningCurve(MetricsTable table, double[] xs, String xName) {
        LineChart c = new LineChart("Learning curve", xName.replace('_', ' '), "accuracy / reward");
        if (table.hasColumn(Columns.TEAM_ACCURACY)) {
            c.add("team accuracy (held out)", xs, table.column(Columns.TEAM_ACCURACY));
        }
        if (table.hasColumn(Columns.MEAN_REWARD)) {
            c.add("mean reward", xs, table.column(Columns.MEAN_REWARD));
        }
        return c;
    }

    /** One line per {@code marginal_contribution.<role>} column. */
    public static LineChart creditByRole(MetricsTable table, double[] xs, String xName) {
        LineChart c = new LineChart("Mean marginal contribution by role", xName.replace('_', ' '),
                "mean marginal contribution");
        for (String col : table.columnsWithPrefix(Columns.MARGINAL_PREFIX)) {
            c.add(col.substring(Columns.MARGINAL_PREFIX.length()), xs, table.column(col));
        }
        return c;
    }

    /**
     * Per role: credit AUC (does a right turn get a higher advantage than a wrong one of its group?) and the share of
     * wrong turns rewarded, from the {@code credit_auc.<role>} and {@code rewarded_mistakes.<role>} columns.
     */
    public static LineChart creditQuality(MetricsTable table, double[] xs, String xName) {
        LineChart c = new LineChart("Credit against each turn's ground truth", xName.replace('_', ' '),
                "credit AUC / share of mistakes rewarded");
        for (String col : table.columnsWithPrefix(Columns.CREDIT_AUC_PREFIX))
            c.add("AUC " + col.substring(Columns.CREDIT_AUC_PREFIX.length()), xs, table.column(col));
        for (String col : table.columnsWithPrefix(Columns.REWARDED_MISTAKES_PREFIX))
            c.add("mistakes rewarded " + col.substring(Columns.REWARDED_MISTAKES_PREFIX.length()), xs, table.column(col));
        return c;
    }

    public static final String ABLATION_ACCURACY_PNG = "ablation-accuracy.png";
    public static final String ABLATION_REWARD_PNG = "ablation-reward.png";
    public static final String ABLATION_THINKER_CREDIT_PNG = "ablation-thinker-credit.png";

    /**
      * Ablation plots, one line per run (e.g. "ccpo", "shared", "ccpo-bonus"): team accuracy, mean
      * reward and the Thinker's mean marginal contribution against policy version. Also writes each
      * run's metrics as {@code <run>-metrics.csv}. Returns the files written.
      */
    public List<Path> writeAblation(Path dir, Map<String, MetricsTable> runs) {
        List<Path> files = new ArrayList<>();
        LineChart acc = new LineChart("Team accuracy (held out) by credit mode", "policy version", "accuracy");
        LineChart rew = new LineChart("Mean reward by credit mode", "policy version", "mean reward");
        LineChart thk = new LineChart("Thinker marginal contribution by credit mode", "policy version",
                "mean marginal contribution");
        for (Map.Entry<String, MetricsTable> e : runs.entrySet()) {
            MetricsTable t = e.getValue();
            String x = t.hasColumn(Columns.POLICY_VERSION) ? Columns.POLICY_VERSION : Columns.STEP;
            double[] xs = xAxis(t, x);
            acc.add(e.getKey(), xs, t.column(Columns.TEAM_ACCURACY));
            rew.add(e.getKey(), xs, t.column(Columns.MEAN_REWARD));
            thk.add(e.getKey(), xs, t.column(Columns.marginal(Roles.THINKER)));
            Path csv = dir.resolve(e.getKey().replaceAll("[^A-Za-z0-9._-]", "_") + "-metrics.csv");
            t.writeCsv(csv);
            files.add(csv);
        }
        Path a = dir.resolve(ABLATION_ACCURACY_PNG);
        acc.writePng(a, width, height);
        Path r = dir.resolve(ABLATION_REWARD_PNG);
        rew.writePng(r, width, height);
        Path k = dir.resolve(ABLATION_THINKER_CREDIT_PNG);
        thk.writePng(k, width, height);
        files.addAll(List.of(a, r, k));
        return files;
    }
}
