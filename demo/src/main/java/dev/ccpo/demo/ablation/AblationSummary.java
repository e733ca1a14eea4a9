package dev.ccpo.demo.ablation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the ablation reports from its runs, per team shape and credit mode, as mean ± 95 % t-interval over seeds
 * ({@link SeedInterval}): held-out team accuracy at the warm start (v0) and at the last evaluation, each agent's own
 * held-out accuracy, and the run's credit quality per role against the turns' ground truth.
 */
public final class AblationSummary {

    /** Credit against the ground truth over all of a run's advantages of one role (analytics' CreditQuality). */
    public record Credit(double auc, double rewardedMistakes, double punishedSuccesses) {}

    /**
     * One finished run: held-out team accuracy per evaluated policy version (v0 = the warm start), each agent's own
     * held-out accuracy at the last evaluation (e.g. "reasoner alone", "voter1"), and credit quality per role.
     */
    public record RunResult(AblationPlan.Run run, TreeMap<Long, Double> teamAccuracy, Map<String, Double> agentAccuracy,
                            Map<String, Credit> credit) {
        public long lastVersion() { return teamAccuracy.isEmpty() ? 0 : teamAccuracy.lastKey(); }
        public double lastTeamAccuracy() { return teamAccuracy.isEmpty() ? Double.NaN : teamAccuracy.lastEntry().getValue(); }
        public double warmStartTeamAccuracy() { return teamAccuracy.getOrDefault(0L, Double.NaN); }
    }

    private AblationSummary() {}

    /**
     * Evaluations snapped to the nearest multiple of {@code every} (the demo evaluates once the newest weights reach
     * the next multiple, so a run may evaluate v26 where another evaluates v25): seeds then line up version by version.
     */
    public static TreeMap<Long, Double> onGrid(TreeMap<Long, Double> byVersion, int every) {
        TreeMap<Long, Double> grid = new TreeMap<>();
        byVersion.forEach((v, acc) -> grid.putIfAbsent(Math.round((double) v / every) * every, acc));
        return grid;
    }

    /** Held-out team accuracy of one mode over seeds, per grid version: mean and the 95 % interval's bounds. */
    public record Band(String mode, double[] versions, double[] mean, double[] lower, double[] upper) {}

    /**
     * The accuracy bands of one shape's runs, one per mode: at each grid version ({@link #onGrid}) that every seed of
     * the mode reached, the mean over seeds and the t interval (a single seed gives a line without a band).
     */
    public static List<Band> accuracyBands(List<RunResult> runsOfOneShape, int every) {
        List<Band> bands = new ArrayList<>();
        Map<String, List<RunResult>> modes = new LinkedHashMap<>();
        runsOfOneShape.forEach(r -> modes.computeIfAbsent(r.run().mode(), k -> new ArrayList<>()).add(r));
        modes.forEach((mode, rs) -> {
            List<TreeMap<Long, Double>> grids = rs.stream().map(r -> onGrid(r.teamAccuracy(), every)).toList();
            java.util.TreeSet<Long> common = new java.util.TreeSet<>(grids.get(0).keySet());
            grids.forEach(g -> common.retainAll(g.keySet()));
            int n = common.size(), i = 0;
            double[] xs = new double[n], mean = new double[n], lo = new double[n], hi = new double[n];
            for (long v : common) {
                SeedInterval s = SeedInterval.of(grids.stream().mapToDouble(g -> g.get(v)).toArray());
                xs[i] = v;
                mean[i] = s.mean();
                lo[i] = s.lower();
                hi[i] = s.upper();
                i++;
            }
            bands.add(new Band(mode, xs, mean, lo, hi));
        });
        return bands;
    }

    /** Per shape, then per mode (in the order the runs came), the runs of every seed. */
    static Map<String, Map<String, List<RunResult>>> byShapeAndMode(List<RunResult> runs) {
        Map<String, Map<String, List<RunResult>>> out = new LinkedHashMap<>();
        for (RunResult r : runs) {
            out.computeIfAbsent(r.run().shape(), k -> new LinkedHashMap<>()).computeIfAbsent(r.run().mode(), k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    /** The markdown of ablation.md: one table per team shape, one row per credit mode. */
    public static String markdown(List<RunResult> runs) {
        StringBuilder sb = new StringBuilder("# Ablation: credit modes × seeds × team shapes\n\n")
                .append("Every cell is the mean over seeds ± the half-width of a two-sided 95 % Student t interval "
                        + "(t(0.975, n−1)·s/√n, s the sample standard deviation over the n seeds). "
                        + "Team accuracy is greedy, on the held-out tasks; \"last\" is each run's last evaluation "
                        + "(its policy version range in the versions column). Credit AUC: the chance that, within a group, a "
                        + "turn that was right gets a higher advantage than one that was wrong (0.5 = blind); rewarded "
                        + "mistakes: the share of wrong turns with a positive advantage; both over all of a run's advantages.\n");
        byShapeAndMode(runs).forEach((shape, modes) -> sb.append('\n').append(shapeTable(shape, modes)));
        return sb.toString();
    }

    static String shapeTable(String shape, Map<String, List<RunResult>> modes) {
        Set<String> agents = new LinkedHashSet<>(), roles = new LinkedHashSet<>();
        modes.values().forEach(rs -> rs.forEach(r -> { agents.addAll(r.agentAccuracy().keySet()); roles.addAll(r.credit().keySet()); }));
        List<String> header = new ArrayList<>(List.of("credit mode", "seeds", "versions (last)", "team acc. v0", "team acc. last", "gain"));
        agents.forEach(a -> header.add(a + " acc. last"));
        roles.forEach(r -> header.add("credit AUC " + r));
        roles.forEach(r -> header.add("rewarded mistakes " + r));
        StringBuilder sb = new StringBuilder("## team shape: " + shape + "\n\n");
        sb.append("| ").append(String.join(" | ", header)).append(" |\n");
        sb.append("|").append("---|".repeat(header.size())).append('\n');
        modes.forEach((mode, rs) -> {
            List<String> row = new ArrayList<>();
            row.add(mode);
            row.add(rs.stream().map(r -> String.valueOf(r.run().seed())).reduce((a, b) -> a + "," + b).orElse(""));
            long lo = rs.stream().mapToLong(RunResult::lastVersion).min().orElse(0), hi = rs.stream().mapToLong(RunResult::lastVersion).max().orElse(0);
            row.add(lo == hi ? "v" + lo : "v" + lo + "–v" + hi);
            row.add(over(rs, RunResult::warmStartTeamAccuracy).format());
            row.add(over(rs, RunResult::lastTeamAccuracy).format());
            row.add(signed(over(rs, r -> r.lastTeamAccuracy() - r.warmStartTeamAccuracy())));
            agents.forEach(a -> row.add(over(rs, r -> r.agentAccuracy().getOrDefault(a, Double.NaN)).format()));
            roles.forEach(role -> row.add(over(rs, r -> credit(r, role).auc()).format()));
            roles.forEach(role -> row.add(over(rs, r -> credit(r, role).rewardedMistakes()).format()));
            sb.append("| ").append(String.join(" | ", row)).append(" |\n");
        });
        return sb.toString();
    }

    static SeedInterval over(List<RunResult> runs, java.util.function.ToDoubleFunction<RunResult> measure) {
        return SeedInterval.of(runs.stream().mapToDouble(measure).toArray());
    }

    private static Credit credit(RunResult r, String role) {
        return r.credit().getOrDefault(role, new Credit(Double.NaN, Double.NaN, Double.NaN));
    }

    private static String signed(SeedInterval i) {
        if (i.n() == 0) return "–";
        String mean = String.format(Locale.ROOT, "%+.3f", i.mean());
        return i.n() == 1 ? mean + " (1 seed)" : mean + String.format(Locale.ROOT, " ± %.3f", i.halfWidth());
    }
}
