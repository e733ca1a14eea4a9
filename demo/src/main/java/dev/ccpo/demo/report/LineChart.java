package dev.ccpo.demo.report;

import java.awt.BasicStroke;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Several named (x, y) series as lines with point markers; non-finite points break the line. A series may carry a
 * band (e.g. a 95 % interval over seeds), drawn under every line as a translucent fill of the series' colour.
 */
public final class LineChart {
    /** Alpha of a band's fill: light enough that overlapping bands and the lines over them stay readable. */
    static final int BAND_ALPHA = 56;

    /** One named series; xs and ys have the same length, and so have lower and upper when the series has a band. */
    public record Series(String name, double[] xs, double[] ys, double[] lower, double[] upper) {
        public Series {
            if (xs.length != ys.length) {
                throw new IllegalArgumentException(
                        "series '" + name + "': " + xs.length + " x values but " + ys.length + " y values");
            }
            if ((lower == null) != (upper == null)) {
                throw new IllegalArgumentException("series '" + name + "': a band needs both a lower and an upper bound");
            }
            if (lower != null && (lower.length != xs.length || upper.length != xs.length)) {
                throw new IllegalArgumentException("series '" + name + "': " + xs.length + " x values but a band of "
                        + lower.length + " lower and " + upper.length + " upper bounds");
            }
            xs = xs.clone();
            ys = ys.clone();
            lower = lower == null ? null : lower.clone();
            upper = upper == null ? null : upper.clone();
        }

        public Series(String name, double[] xs, double[] ys) {
            this(name, xs, ys, null, null);
        }

        public boolean hasBand() { return lower != null; }
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private Double yMinFixed;
    private Double yMaxFixed;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LineChart add(String name, double[] xs, double[] ys) {
        series.add(new Series(name, xs, ys));
        return this;
    }

    /** A series with a band from lower to upper around it (e.g. mean ± a 95 % interval). */
    public LineChart add(String name, double[] xs, double[] ys, double[] lower, double[] upper) {
        series.add(new Series(name, xs, ys, lower, upper));
        return this;
    }

    /** Fixes the y range (e.g. [0, 1] for accuracies); values outside are still drawn, clipped. */
    public LineChart yRange(double min, double max) {
        this.yMinFixed = min;
        this.yMaxFixed = max;
        return this;
    }

    public List<Series> series() {
        return List.copyOf(series);
    }

    /** The frame (ranges and pixel mapping) a render at this size uses. */
    public ChartFrame frame(int width, int height) {
        double[][] xs = series.stream().map(Series::xs).toArray(double[][]::new);
        // the bands count towards the y range, so a band is never cut off by an automatic range
        double[][] ys = series.stream().flatMap(s -> s.hasBand() ? java.util.stream.Stream.of(s.ys(), s.lower(), s.upper())
                : java.util.stream.Stream.of(s.ys())).toArray(double[][]::new);
        double[] xr = Ticks.range(xs);
        double[] yr = Ticks.range(ys);
        if (xr == null) {
            xr = new double[] {0, 1};
        }
        if (yr == null) {
            yr = new double[] {0, 1};
        } else {
            double pad = (yr[1] - yr[0]) * 0.05;
            // extra headroom on top keeps the legend (top right) off the data
            yr = new double[] {yr[0] - pad, yr[1] + 4 * pad};
        }
        double y0 = yMinFixed != null ? yMinFixed : yr[0];
        double y1 = yMaxFixed != null ? yMaxFixed : yr[1];
        return new ChartFrame(width, height, xr[0], xr[1], y0, y1);
    }

    public BufferedImage render(int width, int height) {
        ChartFrame f = frame(width, height);
        BufferedImage img = f.newImage();
        Graphics2D g = ChartFrame.graphics(img);
        f.drawAxes(g, title, xLabel, yLabel);
        g.clipRect(f.plotLeft(), f.plotTop(), f.plotRight() - f.plotLeft() + 1, f.plotBottom() - f.plotTop() + 1);
        for (int s = 0; s < series.size(); s++) {
            if (series.get(s).hasBand()) drawBand(g, f, series.get(s), ChartFrame.color(s));
        }
        List<String> names = new ArrayList<>();
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            names.add(ser.name());
            g.setColor(ChartFrame.color(s));
            g.setStroke(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            Path2D.Double path = new Path2D.Double();
            boolean pen = false;
            for (int i = 0; i < ser.xs().length; i++) {
                double x = ser.xs()[i];
                double y = ser.ys()[i];
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    pen = false;
                    continue;
                }
                if (pen) {
                    path.lineTo(f.px(x), f.py(y));
                } else {
                    path.moveTo(f.px(x), f.py(y));
                    pen = true;
                }
            }
            g.draw(path);
            for (int i = 0; i < ser.xs().length; i++) {
                double x = ser.xs()[i];
                double y = ser.ys()[i];
                if (Double.isFinite(x) && Double.isFinite(y)) {
                    g.fill(new Ellipse2D.Double(f.px(x) - 3, f.py(y) - 3, 6, 6));
                }
            }
        }
        g.setClip(null);
        f.drawLegend(g, names);
        g.dispose();
        return img;
    }

    /** The band as one polygon per run of points where x and both bounds are finite (a gap breaks it, as for lines). */
    private static void drawBand(Graphics2D g, ChartFrame f, Series ser, java.awt.Color color) {
        g.setColor(new java.awt.Color(color.getRed(), color.getGreen(), color.getBlue(), BAND_ALPHA));
        int n = ser.xs().length;
        int i = 0;
        while (i < n) {
            while (i < n && !bandPoint(ser, i)) i++;
            int start = i;
            while (i < n && bandPoint(ser, i)) i++;
            if (i - start < 2) continue; // one point alone has no area; its marker and the line show it
            Path2D.Double poly = new Path2D.Double();
            poly.moveTo(f.px(ser.xs()[start]), f.py(ser.upper()[start]));
            for (int k = start + 1; k < i; k++) poly.lineTo(f.px(ser.xs()[k]), f.py(ser.upper()[k]));
            for (int k = i - 1; k >= start; k--) poly.lineTo(f.px(ser.xs()[k]), f.py(ser.lower()[k]));
            poly.closePath();
            g.fill(poly);
        }
    }

    private static boolean bandPoint(Series s, int i) {
        return Double.isFinite(s.xs()[i]) && Double.isFinite(s.lower()[i]) && Double.isFinite(s.upper()[i]);
    }

    public void writePng(Path file, int width, int height) {
        ChartFrame.writePng(render(width, height), file);
    }
}
