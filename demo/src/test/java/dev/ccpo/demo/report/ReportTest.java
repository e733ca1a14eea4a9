package dev.ccpo.demo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ccpo.demo.report.MetricsTable.Columns;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @TempDir Path dir;

    static MetricsTable sampleTable() {
        MetricsTable t = new MetricsTable();
        for (int v = 0; v <= 8; v++) {
            Map<String, Double> row = new LinkedHashMap<>();
            row.put(Columns.POLICY_VERSION, (double) v);
            row.put(Columns.TEAM_ACCURACY, 0.2 + 0.07 * v);
            row.put(Columns.MEAN_REWARD, 0.15 + 0.06 * v);
            row.put(Columns.marginal("thinker"), 0.02 * v - 0.05);
            row.put(Columns.marginal("reasoner"), 0.01 * v);
            row.put(Columns.advantageStd("thinker"), 1.0 / 3);
            row.put(Columns.creditAuc("thinker"), 0.6 + 0.03 * v);
            row.put(Columns.rewardedMistakes("thinker"), 0.3 - 0.02 * v);
            row.put(Columns.POLICY_LAG, v == 3 ? null : 1.0);
            t.addRow(row);
        }
        t.addRow(Map.of(Columns.rate("generator"), 12.5)); // a row with a new column only
        return t;
    }

    @Test
    void csvAndJsonRoundTripKeepColumnsValuesAndMissingCells() {
        MetricsTable t = sampleTable();
        t.writeCsv(dir.resolve("m.csv"));
        t.writeJson(dir.resolve("m.json"));
        for (MetricsTable back : List.of(MetricsTable.readCsv(dir.resolve("m.csv")),
                MetricsTable.readJson(dir.resolve("m.json")))) {
            assertEquals(t.columns(), back.columns());
            assertEquals(t.size(), back.size());
            for (int i = 0; i < t.size(); i++) {
                for (String c : t.columns()) {
                    double a = t.get(i, c);
                    double b = back.get(i, c);
                    assertTrue(Double.isNaN(a) ? Double.isNaN(b) : a == b, "row " + i + " col " + c + ": " + a + " vs " + b);
                }
            }
        }
        assertTrue(Double.isNaN(t.get(3, Columns.POLICY_LAG)));
        assertEquals(12.5, t.get(t.size() - 1, Columns.rate("generator")));
        assertEquals(List.of("marginal_contribution.thinker", "marginal_contribution.reasoner"),
                t.columnsWithPrefix(Columns.MARGINAL_PREFIX));
    }

    @Test
    void badInputsAreNamed() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new MetricsTable().addRow(Map.of("a,b", 1)));
        Files.writeString(dir.resolve("bad.csv"), "a,b\n1,x\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetricsTable.readCsv(dir.resolve("bad.csv")));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void reportWritesAllFilesAndChartsShowTheData() throws Exception {
        Random rnd = new Random(1);
        Map<String, double[]> adv = new LinkedHashMap<>();
        adv.put("thinker", rnd.doubles(300).map(x -> x * 2 - 1.5).toArray());
        adv.put("reasoner", rnd.doubles(300).map(x -> x * 2 - 0.5).toArray());
        MetricsTable t = sampleTable();
        List<Path> files = new Report(800, 480).write(dir.resolve("report"), t, adv);
        assertEquals(List.of("metrics.csv", "metrics.json", "learning-curve.png", "credit-by-role.png", "credit-quality.png", "advantages.png"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : files) {
            assertTrue(Files.size(f) > 100, f + " is empty");
        }
        for (Path png : files.subList(2, 6)) {
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, png + " must decode");
            assertEquals(800, img.getWidth());
            assertEquals(480, img.getHeight());
        }
        // Team accuracy at version 2 is drawn in the first series colour.
        LineChart lc = Report.learningCurve(t, t.column(Columns.POLICY_VERSION), Columns.POLICY_VERSION);
        Charts.PlotArea f = lc.plotArea(800, 480);
        BufferedImage img = ImageIO.read(dir.resolve("report/learning-curve.png").toFile());
        assertTrue(ChartTest.colourNear(img, f.px(2), f.py(0.34), Charts.color(0).getRGB(), 1));
        // Credit chart: one series per role, thinker first.
        LineChart cr = Report.creditByRole(t, t.column(Columns.POLICY_VERSION), Columns.POLICY_VERSION);
        assertEquals(List.of("thinker", "reasoner"), cr.series().stream().map(LineChart.Series::name).toList());
        LineChart cq = Report.creditQuality(t, t.column(Columns.POLICY_VERSION), Columns.POLICY_VERSION);
        assertEquals(List.of("AUC thinker", "mistakes rewarded thinker"), cq.series().stream().map(LineChart.Series::name).toList());
        assertEquals(t.size(), MetricsTable.readJson(dir.resolve("report/metrics.json")).size());
    }

    @Test
    void emptyTableStillGivesAllFiles() {
        List<Path> files = new Report().write(dir.resolve("empty"), new MetricsTable(), Map.of());
        assertEquals(6, files.size());
        files.forEach(f -> assertTrue(Files.exists(f), f.toString()));
    }

    @Test
    void ablationPlotsOneLinePerRun() throws Exception {
        Map<String, MetricsTable> runs = new LinkedHashMap<>();
        runs.put("ccpo", sampleTable());
        runs.put("shared", sampleTable());
        List<Path> files = new Report(600, 400).writeAblation(dir.resolve("abl"), runs);
        assertEquals(List.of("ccpo-metrics.csv", "shared-metrics.csv", "ablation-accuracy.png", "ablation-reward.png",
                "ablation-thinker-credit.png"), files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path png : files.subList(2, 5)) {
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(600, img.getWidth());
            assertEquals(400, img.getHeight());
        }
        assertEquals(sampleTable().size(), MetricsTable.readCsv(files.get(1)).size());
    }
}
