package dev.ccpo.demo.ablation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ccpo.demo.ablation.AblationSummary.Credit;
import dev.ccpo.demo.ablation.AblationSummary.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AblationSummaryTest {

    private static RunResult run(String shape, long seed, String mode, double v0, long last, double accLast, double auc, double rm) {
        TreeMap<Long, Double> acc = new TreeMap<>(Map.of(0L, v0, last, accLast));
        return new RunResult(new AblationPlan.Run(shape, seed, mode), acc, Map.of("voter0", accLast - 0.1),
                Map.of("voter", new Credit(auc, rm, 0.0)));
    }

    @Test
    void oneRowPerModeWithIntervalsOverSeeds() {
        List<RunResult> runs = new ArrayList<>();
        // ccpo: last team accuracy 0.5/0.6/0.7 → 0.600 ± 0.248 (SeedIntervalTest.threeSeedsByHand); v0 all 0.4 → ± 0.000
        runs.add(run("voting", 1, "ccpo", 0.4, 50, 0.5, 0.8, 0.1));
        runs.add(run("voting", 1, "shared", 0.4, 50, 0.45, 0.5, 0.9));
        runs.add(run("voting", 2, "ccpo", 0.4, 50, 0.6, 0.8, 0.1));
        runs.add(run("voting", 2, "shared", 0.4, 51, 0.45, 0.5, 0.9));
        runs.add(run("voting", 3, "ccpo", 0.4, 50, 0.7, 0.8, 0.1));
        runs.add(run("voting", 3, "shared", 0.4, 50, 0.45, 0.5, 0.9));
        String md = AblationSummary.markdown(runs);
        String[] lines = md.split("\n");
        String header = find(lines, "| credit mode");
        assertEquals("| credit mode | seeds | versions (last) | team acc. v0 | team acc. last | gain | voter0 acc. last "
                + "| credit AUC voter | rewarded mistakes voter |", header);
        assertEquals("| ccpo | 1,2,3 | v50 | 0.400 ± 0.000 | 0.600 ± 0.248 | +0.200 ± 0.248 | 0.500 ± 0.248 | 0.800 ± 0.000 | 0.100 ± 0.000 |",
                find(lines, "| ccpo |"));
        // shared: one run stopped at v51, so the version range says so
        assertTrue(find(lines, "| shared |").startsWith("| shared | 1,2,3 | v50–v51 | 0.400 ± 0.000 | 0.450 ± 0.000 | +0.050 ± 0.000 |"),
                find(lines, "| shared |"));
        assertTrue(md.contains("## team shape: voting"));
        assertTrue(md.contains("Student t"), "the table says which interval it is");
    }

    @Test
    void aTableForEachShapeInTheOrderTheRunsCame() {
        List<RunResult> runs = List.of(run("think-reason", 1, "ccpo", 0.3, 10, 0.4, 0.7, 0.2), run("voting", 1, "ccpo", 0.3, 10, 0.4, 0.7, 0.2));
        String md = AblationSummary.markdown(runs);
        int tr = md.indexOf("## team shape: think-reason"), v = md.indexOf("## team shape: voting");
        assertTrue(tr > 0 && v > tr, md);
        assertTrue(md.contains("0.400 (1 seed)"), "one seed has no interval and says so");
    }

    @Test
    void evaluationsSnapToTheNearestGridVersion() {
        TreeMap<Long, Double> byVersion = new TreeMap<>(Map.of(0L, 0.1, 26L, 0.2, 49L, 0.3, 77L, 0.4));
        assertEquals(new TreeMap<>(Map.of(0L, 0.1, 25L, 0.2, 50L, 0.3, 75L, 0.4)), AblationSummary.onGrid(byVersion, 25));
    }

    @Test
    void bandsCoverTheVersionsEverySeedReached() {
        // seed 1 evaluated v0, v25, v50; seed 2 v0, v26 (→ v25); seed 3 v0, v24 (→ v25), v51 (→ v50): v50 is not common
        List<RunResult> runs = List.of(
                new RunResult(new AblationPlan.Run("voting", 1, "ccpo"), new TreeMap<>(Map.of(0L, 0.4, 25L, 0.5, 50L, 0.6)), Map.of(), Map.of()),
                new RunResult(new AblationPlan.Run("voting", 2, "ccpo"), new TreeMap<>(Map.of(0L, 0.4, 26L, 0.6)), Map.of(), Map.of()),
                new RunResult(new AblationPlan.Run("voting", 3, "ccpo"), new TreeMap<>(Map.of(0L, 0.4, 24L, 0.7, 51L, 0.7)), Map.of(), Map.of()));
        List<AblationSummary.Band> bands = AblationSummary.accuracyBands(runs, 25);
        assertEquals(1, bands.size());
        AblationSummary.Band b = bands.get(0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {0, 25}, b.versions());
        // v25: 0.5, 0.6, 0.7 → 0.600 ± 0.248434
        assertEquals(0.6, b.mean()[1], 1e-12);
        assertEquals(0.6 - 0.248434, b.lower()[1], 1e-6);
        assertEquals(0.6 + 0.248434, b.upper()[1], 1e-6);
        assertEquals(0.4, b.upper()[0], 1e-12); // no spread at the shared warm start
    }

    private static String find(String[] lines, String prefix) {
        for (String l : lines) if (l.startsWith(prefix)) return l;
        throw new AssertionError("no line starts with " + prefix);
    }
}
