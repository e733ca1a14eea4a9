package dev.ccpo.demo.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Several named (x, y) series as lines with point markers, drawn by XChart; non-finite points break the line. A
 * series may carry a band (e.g. a 95 % interval over seeds), drawn under every line as a translucent fill of the
 * series' colour.
 */
public final class LineChart implements Plot {
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

    @Override
    public Charts.Chart toXChart(int width, int height) {
        double[][] xs = series.stream().map(Series::xs).toArray(double[][]::new);
        // the bands count towards the y range, so a band is never cut off by an automatic range
        double[][] ys = series.stream().flatMap(s -> s.hasBand() ? Stream.of(s.ys(), s.lower(), s.upper())
                : Stream.of(s.ys())).toArray(double[][]::new);
        double[] xr = Charts.finiteRange(xs);
        double[] yr = Charts.finiteRange(ys);
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
        Charts.Chart chart = Charts.xyChart(width, height, title, xLabel, yLabel, xr[0], xr[1],
                yMinFixed != null ? yMinFixed : yr[0], yMaxFixed != null ? yMaxFixed : yr[1]);
        // XChart paints series in the order they were added: every band first, so the lines lie on top
        for (int s = 0; s < series.size(); s++) {
            if (series.get(s).hasBand()) addBand(chart, series.get(s), s, Charts.color(s));
        }
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            double lastX = xr[0];
            for (int i = 0; i < ser.xs().length; i++) {
                boolean finite = Double.isFinite(ser.xs()[i]) && Double.isFinite(ser.ys()[i]);
                lastX = Double.isFinite(ser.xs()[i]) ? ser.xs()[i] : lastX;
                x.add(lastX);
                y.add(finite ? ser.ys()[i] : null); // XChart breaks the line at a null
            }
            if (x.isEmpty()) continue; // XChart refuses an empty series
            XYSeries line = chart.addSeries(ser.name(), x, y);
            line.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
            line.setLineColor(Charts.color(s));
            line.setLineStyle(Charts.lineStroke());
            line.setMarker(SeriesMarkers.CIRCLE);
            line.setMarkerColor(Charts.color(s));
        }
        chart.getStyler().setMarkerSize(6);
        return chart;
    }

    /** The band as one polygon per run of points where x and both bounds are finite (a gap breaks it, as for lines). */
    private static void addBand(Charts.Chart chart, Series ser, int index, Color color) {
        int n = ser.xs().length;
        int i = 0;
        int part = 0;
        while (i < n) {
            while (i < n && !bandPoint(ser, i)) i++;
            int start = i;
            while (i < n && bandPoint(ser, i)) i++;
            if (i - start < 2) continue; // one point alone has no area; its marker and the line show it
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int k = start; k < i; k++) {
                x.add(ser.xs()[k]);
                y.add(ser.upper()[k]);
            }
            for (int k = i - 1; k >= start; k--) {
                x.add(ser.xs()[k]);
                y.add(ser.lower()[k]);
            }
            XYSeries band = chart.addSeries("band " + index + "." + part++ + " " + ser.name(), x, y);
            band.setXYSeriesRenderStyle(XYSeriesRenderStyle.PolygonArea);
            band.setFillColor(Charts.translucent(color, BAND_ALPHA));
            band.setLineStyle(SeriesLines.NONE);
            band.setMarker(SeriesMarkers.NONE);
            band.setShowInLegend(false);
        }
    }

    private static boolean bandPoint(Series s, int i) {
        return Double.isFinite(s.xs()[i]) && Double.isFinite(s.lower()[i]) && Double.isFinite(s.upper()[i]);
    }
}
