package dev.ccpo.demo.report;

import java.awt.BasicStroke;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
  * One or more named samples overlaid as translucent step histograms on shared bins, drawn by XChart. The bin count
  * comes from the data (Freedman–Diaconis on the pooled sample, Sturges when the IQR is 0).
  */
public final class Histogram implements Plot {
    private final String title;
    private final String xLabel;
    private final List<String> names = new ArrayList<>();
    private final List<double[]> samples = new ArrayList<>();
    private int fixedBins;

    public Histogram(String title, String xLabel) {
        this.title = title;
        this.xLabel = xLabel;
    }

    /** Adds a sample; non-finite values are ignored (they have no place on the axis). */
    public Histogram add(String name, double[] values) {
        names.add(name);
        samples.add(Arrays.stream(values).filter(Double::isFinite).toArray());
        return this;
    }

    /** Forces the number of bins (0 = choose from the data). */
    public Histogram bins(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("bins must be >= 0, got " + n);
        }
        this.fixedBins = n;
        return this;
    }

    /** Bin edges (length bins+1) shared by all samples. */
    public double[] edges() {
        double[] pooled = samples.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
        double[] r = Charts.finiteRange(pooled);
        if (r == null) {
            return new double[] {0, 1};
        }
        int n = fixedBins > 0 ? fixedBins : chooseBins(pooled, r[1] - r[0]);
        double[] e = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            e[i] = r[0] + (r[1] - r[0]) * i / n;
        }
        return e;
    }

    static int chooseBins(double[] sorted, double span) {
        int n = sorted.length;
        if (n < 2) {
            return 1;
        }
        double iqr = sorted[(int) (0.75 * (n - 1))] - sorted[(int) (0.25 * (n - 1))];
        int bins;
        if (iqr > 0) {
            double width = 2 * iqr / Math.cbrt(n);
            bins = (int) Math.ceil(span / width);
        } else {
            bins = (int) Math.ceil(Math.log(n) / Math.log(2)) + 1;
        }
        return Math.max(1, Math.min(bins, 60));
    }

    /** Counts of sample {@code index} in each bin; the last bin includes its right edge. */
    public int[] counts(int index) {
        double[] e = edges();
        int bins = e.length - 1;
        int[] c = new int[bins];
        for (double v : samples.get(index)) {
            int b = (int) Math.floor((v - e[0]) / (e[bins] - e[0]) * bins);
            c[Math.max(0, Math.min(bins - 1, b))]++;
        }
        return c;
    }

    /** Each sample as an XChart step area over the shared bins: bar b spans edges b..b+1 at the height of count b. */
    @Override
    public Charts.Chart toXChart(int width, int height) {
        double[] e = edges();
        int max = 1;
        List<int[]> counts = new ArrayList<>();
        for (int s = 0; s < samples.size(); s++) {
            counts.add(counts(s));
            for (int c : counts.get(s)) {
                max = Math.max(max, c);
            }
        }
        Charts.Chart chart = Charts.xyChart(width, height, title, xLabel, "count", e[0], e[e.length - 1], 0, max * 1.1);
        for (int s = 0; s < samples.size(); s++) {
            int[] c = counts.get(s);
            double[] ys = new double[e.length];
            for (int b = 0; b < e.length; b++) {
                ys[b] = c[Math.min(b, c.length - 1)]; // XChart's step holds a point's y up to the next x
            }
            XYSeries bars = chart.addSeries(names.get(s), e, ys);
            bars.setXYSeriesRenderStyle(XYSeriesRenderStyle.StepArea);
            bars.setLineColor(Charts.color(s));
            bars.setLineStyle(new BasicStroke(1.5f));
            bars.setFillColor(Charts.translucent(Charts.color(s), 90));
            bars.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }
}
