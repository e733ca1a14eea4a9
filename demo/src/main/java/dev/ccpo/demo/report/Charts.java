package dev.ccpo.demo.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;

/**
 * What every chart of the report shares on top of XChart: the palette, the style, fixed axis ranges (so that
 * {@link PlotArea} knows where a data point lands) and writing a PNG headless.
 */
public final class Charts {
    public static final Color BACKGROUND = Color.WHITE;
    /** Colour-blind-friendly palette (Okabe–Ito), cycled by series index. */
    private static final Color[] PALETTE = {
        new Color(0, 114, 178), new Color(213, 94, 0), new Color(0, 158, 115),
        new Color(204, 121, 167), new Color(230, 159, 0), new Color(86, 180, 233),
        new Color(240, 228, 66), new Color(0, 0, 0)
    };

    static {
        // Charts are written by servers and CI without a display.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {}

    public static Color color(int index) {
        return PALETTE[Math.floorMod(index, PALETTE.length)];
    }

    static Color translucent(Color c, int alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
    }

    /**
     * An XChart XY chart with the report's style and the given data ranges. The plot content fills the whole plot
     * box (XChart's default leaves a margin), so a data point lands where {@link PlotArea} maps it.
     */
    static Chart xyChart(int width, int height, String title, String xLabel, String yLabel,
                         double xMin, double xMax, double yMin, double yMax) {
        if (width < 120 || height < 100) {
            throw new IllegalArgumentException("chart size " + width + "x" + height + " is too small (min 120x100)");
        }
        Chart c = new Chart(width, height);
        c.setTitle(title == null ? "" : title);
        c.setXAxisTitle(xLabel == null ? "" : xLabel);
        c.setYAxisTitle(yLabel == null ? "" : yLabel);
        XYStyler s = c.getStyler();
        s.setChartBackgroundColor(BACKGROUND);
        s.setPlotBackgroundColor(BACKGROUND);
        s.setPlotGridLinesColor(new Color(230, 230, 230));
        s.setPlotContentSize(1.0);
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setLegendBackgroundColor(new Color(255, 255, 255, 220));
        s.setLegendBorderColor(Color.GRAY);
        s.setAntiAlias(true);
        // ticks start at the range's minimum, which need not be round; short labels keep them readable
        s.setXAxisDecimalPattern("0.##");
        s.setYAxisDecimalPattern("0.##");
        s.setXAxisMin(xMin);
        s.setXAxisMax(xMax > xMin ? xMax : xMin + 1);
        s.setYAxisMin(yMin);
        s.setYAxisMax(yMax > yMin ? yMax : yMin + 1);
        return c;
    }

    /** The chart drawn onto a new image. */
    static BufferedImage render(Chart chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Writes a PNG, creating parent folders. */
    static void writePng(Chart chart, Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }

    /** The data-to-pixel mapping of a chart, read from XChart's layout after a paint. */
    static PlotArea plotArea(Chart chart) {
        BufferedImage scratch = new BufferedImage(chart.getWidth(), chart.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        chart.paint(g, chart.getWidth(), chart.getHeight());
        g.dispose();
        Rectangle2D b = chart.plotBounds();
        XYStyler s = chart.getStyler();
        return new PlotArea(b.getMinX(), b.getMinY(), b.getMaxX(), b.getMaxY(),
                s.getXAxisMin(), s.getXAxisMax(), s.getYAxisMin(), s.getYAxisMax());
    }

    static BasicStroke lineStroke() {
        return new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** Min and max of the finite values (widened when they are equal), or null when there is none. */
    static double[] finiteRange(double[]... arrays) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] a : arrays) {
            for (double v : a) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return null;
        }
        if (lo == hi) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[] {lo - pad, hi + pad};
        }
        return new double[] {lo, hi};
    }

    /** XChart keeps the plot's bounds to itself; this subclass reads them for {@link #plotArea}. */
    public static final class Chart extends XYChart {
        Chart(int width, int height) {
            super(width, height);
        }

        Rectangle2D plotBounds() {
            return plot.getBounds();
        }
    }

    /**
     * Where the plot box lies in the image and which data ranges it shows. Tests use {@link #px}/{@link #py} to find
     * where a data point was drawn.
     */
    public record PlotArea(double left, double top, double right, double bottom,
                           double xMin, double xMax, double yMin, double yMax) {
        /** Pixel column of data x. */
        public double px(double x) {
            return left + (x - xMin) / (xMax - xMin) * (right - left);
        }

        /** Pixel row of data y (y grows upwards on the chart). */
        public double py(double y) {
            return bottom - (y - yMin) / (yMax - yMin) * (bottom - top);
        }
    }
}
