package dev.ccpo.demo.report;

import java.awt.BasicStroke;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Several named (x, y) series as lines with point markers; non-finite points break the line. */
public final class LineChart {
    /** One named series; xs and ys have the same length. */
    public record Series(String name, double[] xs, double[] ys) {
        public Series {
            if (xs.length != ys.length) {
                throw new IllegalArgumentException(
                        "series '" + name + "': " + xs.length + " x values but " + ys.length + " y values");
            }
            xs = xs.clone();
            ys = ys.clone();
        }
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
        double[][] ys = series.stream().map(Series::ys).toArray(double[][]::new);
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

    public void writePng(Path file, int width, int height) {
        ChartFrame.writePng(render(width, height), file);
    }
}
