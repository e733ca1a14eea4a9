package dev.ccpo.demo.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {
    @TempDir Path dir;

    private static final int BG = Charts.BACKGROUND.getRGB();

    /** True when some pixel within r of (x, y) has exactly the given colour. */
    static boolean colourNear(BufferedImage img, double x, double y, int rgb, int r) {
        for (int dx = -r; dx <= r; dx++) {
            for (int dy = -r; dy <= r; dy++) {
                int px = (int) Math.round(x) + dx;
                int py = (int) Math.round(y) + dy;
                if (px >= 0 && py >= 0 && px < img.getWidth() && py < img.getHeight()
                        && (img.getRGB(px, py) & 0xFFFFFF) == (rgb & 0xFFFFFF)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void lineChartDrawsSeriesWhereTheFrameMapsThem() throws Exception {
        double[] xs = {0, 1, 2, 3, 4, 5};
        LineChart c = new LineChart("t", "version", "accuracy")
                .add("a", xs, new double[] {0.1, 0.2, 0.3, 0.35, 0.4, 0.5})
                .add("b", xs, new double[] {0.9, 0.8, 0.7, 0.6, 0.6, 0.55});
        Path png = dir.resolve("sub/line.png");
        c.writePng(png, 640, 400);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "PNG must decode");
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        Charts.PlotArea f = c.plotArea(640, 400);
        // A marker of series a at (1, 0.2) has series a's colour; a blank spot inside the plot does not.
        assertTrue(colourNear(img, f.px(1), f.py(0.2), Charts.color(0).getRGB(), 1));
        assertTrue(colourNear(img, f.px(2), f.py(0.7), Charts.color(1).getRGB(), 1));
        assertEquals(BG, img.getRGB((int) f.px(4.5), (int) f.py(0.05)));
        // Between markers the line is drawn too (not only the points).
        assertNotEquals(BG, img.getRGB((int) Math.round(f.px(0.5)), (int) Math.round(f.py(0.15))));
    }

    @Test
    void lineChartSkipsNonFiniteAndFixedRangeIsUsed() {
        LineChart c = new LineChart("t", "x", "y").add("a", new double[] {0, 1, 2},
                new double[] {0.2, Double.NaN, 0.4}).yRange(0, 1);
        Charts.PlotArea f = c.plotArea(300, 200);
        assertEquals(f.bottom(), f.py(0), 1e-9);
        assertEquals(f.top(), f.py(1), 1e-9);
        BufferedImage img = c.render(300, 200);
        assertEquals(300, img.getWidth());
        assertThrows(IllegalArgumentException.class, () -> c.add("bad", new double[] {1}, new double[] {1, 2}));
    }

    @Test
    void histogramCountsAndDraws() throws Exception {
        double[] a = new double[200];
        double[] b = new double[200];
        for (int i = 0; i < 200; i++) {
            a[i] = -1 + (i % 20) * 0.05;
            b[i] = 0.5 + (i % 10) * 0.05;
        }
        Histogram h = new Histogram("adv", "advantage").add("thinker", a).add("reasoner", b)
                .add("nan", new double[] {Double.NaN});
        double[] e = h.edges();
        assertTrue(e.length >= 3, "data-chosen bins: " + Arrays.toString(e));
        assertEquals(-1, e[0], 1e-12);
        assertEquals(0.95, e[e.length - 1], 1e-12);
        assertEquals(200, Arrays.stream(h.counts(0)).sum());
        assertEquals(200, Arrays.stream(h.counts(1)).sum());
        assertEquals(0, Arrays.stream(h.counts(2)).sum());
        assertEquals(0, h.counts(1)[0], "reasoner values are all >= 0.5");

        Path png = dir.resolve("h.png");
        h.writePng(png, 500, 300);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(500, img.getWidth());
        assertEquals(300, img.getHeight());
        Charts.PlotArea f = h.plotArea(500, 300);
        // Inside the first bar of "thinker" (left of any reasoner value), just above the x axis.
        int x = (int) Math.round((f.px(e[0]) + f.px(e[1])) / 2);
        int y = (int) Math.round(f.py(0)) - 2;
        assertNotEquals(BG, img.getRGB(x, y));
        assertArrayEquals(new int[] {4}, new Histogram("t", "x").add("s", new double[] {1, 1, 1, 1}).bins(1).counts(0));
    }

    @Test
    void aBandIsATranslucentFillOfItsSeriesColourBetweenItsBounds() throws Exception {
        double[] xs = {0, 10, 20, 30};
        LineChart c = new LineChart("t", "version", "accuracy").yRange(0, 1)
                .add("ccpo", xs, new double[] {0.5, 0.5, 0.5, 0.5}, new double[] {0.3, 0.3, 0.3, 0.3}, new double[] {0.7, 0.7, 0.7, 0.7});
        BufferedImage img = c.render(640, 400);
        Charts.PlotArea f = c.plotArea(640, 400);
        int inside = img.getRGB((int) Math.round(f.px(17)), (int) Math.round(f.py(0.62)));
        int red = (inside >> 16) & 0xFF, blue = inside & 0xFF;
        assertNotEquals(BG, inside, "inside the band the plot is tinted");
        assertTrue(blue > red + 20, "the tint is the series' colour (blue), got " + Integer.toHexString(inside));
        assertTrue(red > 150, "and translucent: lighter than the line itself, got " + Integer.toHexString(inside));
        assertEquals(BG, img.getRGB((int) Math.round(f.px(17)), (int) Math.round(f.py(0.85))), "above the upper bound: blank");
        assertTrue(colourNear(img, f.px(10), f.py(0.5), Charts.color(0).getRGB(), 1), "the mean line is drawn over the band");
        assertThrows(IllegalArgumentException.class, () -> new LineChart("t", "x", "y").add("a", xs, xs, new double[3], new double[4]));
        assertThrows(IllegalArgumentException.class, () -> new LineChart.Series("a", xs, xs, xs, null));
    }
}
