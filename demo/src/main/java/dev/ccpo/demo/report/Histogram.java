package dev.ccpo.demo.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
  * One or more named samples overlaid as translucent step histograms on shared bins. The bin count
  * comes from the data (Freedman–Diaconis on the pooled sample, Sturges when the IQR is 0).
  */
public final class Histogram {
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
        double[] r = Ticks.range(pooled);
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

    public ChartFrame frame(int width, int height) {
        double[] e = edges();
        int max = 1;
        for (int s = 0; s < samples.size(); s++) {
            for (int c : counts(s)) {
                max = Math.max(max, c);
            }
        }
        return new ChartFrame(width, height, e[0], e[e.length - 1], 0, max * 1.1);
    }

    public BufferedImage render(int width, int height) {
        ChartFrame f = frame(width, height);
        BufferedImage img = f.newImage();
        Graphics2D g = ChartFrame.graphics(img);
        f.drawAxes(g, title, xLabel, "count");
        double[] e = edges();
        for (int s = 0; s < samples.size(); s++) {
            int[] c = counts(s);
            Color col = ChartFrame.color(s);
            for (int b = 0; b < c.length; b++) {
                if (c[b] == 0) {
                    continue;
                }
                int x0 = (int) Math.round(f.px(e[b]));
                int x1 = (int) Math.round(f.px(e[b + 1]));
                int y = (int) Math.round(f.py(c[b]));
                int y0 = (int) Math.round(f.py(0));
                g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 90));
                g.fillRect(x0, y, Math.max(1, x1 - x0), y0 - y);
                g.setColor(col);
                g.setStroke(new BasicStroke(1.5f));
                g.drawRect(x0, y, Math.max(1, x1 - x0), y0 - y);
            }
        }
        f.drawLegend(g, names);
        g.dispose();
        return img;
    }

    public void writePng(Path file, int width, int height) {
        ChartFrame.writePng(render(width, height), file);
    }
}
