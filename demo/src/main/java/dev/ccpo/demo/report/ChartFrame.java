package dev.ccpo.demo.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
  * The frame shared by every chart: image size, plot area, data ranges and the mapping from data
  * to pixels, plus drawing of title, axes, ticks, grid and legend. Tests use {@link #px}/{@link
  * #py} to find where a data point was drawn.
  */
public final class ChartFrame {
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

    private final int width;
    private final int height;
    private final double xMin, xMax, yMin, yMax;
    private final int left, top, right, bottom;

    public ChartFrame(int width, int height, double xMin, double xMax, double yMin, double yMax) {
        if (width < 120 || height < 100) {
            throw new IllegalArgumentException("chart size " + width + "x" + height + " is too small (min 120x100)");
        }
        this.width = width;
        this.height = height;
        this.xMin = xMin;
        this.xMax = xMax > xMin ? xMax : xMin + 1;
        this.yMin = yMin;
        this.yMax = yMax > yMin ? yMax : yMin + 1;
        this.left = 70;
        this.top = 40;
        this.right = width - 20;
        this.bottom = height - 55;
    }

    public static Color color(int index) {
        return PALETTE[Math.floorMod(index, PALETTE.length)];
    }

    public int width() { return width; }
    public int height() { return height; }
    public int plotLeft() { return left; }
    public int plotRight() { return right; }
    public int plotTop() { return top; }
    public int plotBottom() { return bottom; }

    /** Pixel column of data x. */
    public double px(double x) {
        return left + (x - xMin) / (xMax - xMin) * (right - left);
    }

    /** Pixel row of data y (y grows upwards on the chart). */
    public double py(double y) {
        return bottom - (y - yMin) / (yMax - yMin) * (bottom - top);
    }

    /** A white image with antialiasing on. */
    BufferedImage newImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return img;
    }

    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    /** Grid, axes, tick labels, axis labels and title (drawn before the data). */
    void drawAxes(Graphics2D g, String title, String xLabel, String yLabel) {
        FontMetrics fm = g.getFontMetrics();
        g.setStroke(new BasicStroke(1f));
        for (double t : Ticks.nice(xMin, xMax, Math.max(2, (right - left) / 80))) {
            int x = (int) Math.round(px(t));
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x, top, x, bottom);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(x, bottom, x, bottom + 4);
            String s = Ticks.label(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, bottom + 6 + fm.getAscent());
        }
        for (double t : Ticks.nice(yMin, yMax, Math.max(2, (bottom - top) / 50))) {
            int y = (int) Math.round(py(t));
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, right, y);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(left - 4, y, left, y);
            String s = Ticks.label(t);
            g.drawString(s, left - 6 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        if (xLabel != null) {
            g.drawString(xLabel, (left + right - fm.stringWidth(xLabel)) / 2, height - 12);
        }
        if (yLabel != null) {
            AffineTransform old = g.getTransform();
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, -(top + bottom + fm.stringWidth(yLabel)) / 2, 16);
            g.setTransform(old);
        }
        if (title != null) {
            Font f = g.getFont();
            g.setFont(f.deriveFont(Font.BOLD, 15f));
            FontMetrics tm = g.getFontMetrics();
            g.drawString(title, (width - tm.stringWidth(title)) / 2, 25);
            g.setFont(f);
        }
    }

    /** Legend box in the top-right corner of the plot area; skipped when there is nothing to name. */
    void drawLegend(Graphics2D g, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (String n : names) {
            w = Math.max(w, fm.stringWidth(n));
        }
        int lineH = fm.getHeight();
        int boxW = w + 34;
        int boxH = lineH * names.size() + 8;
        int x0 = right - boxW - 6;
        int y0 = top + 6;
        g.setColor(new Color(255, 255, 255, 220));
        g.fillRect(x0, y0, boxW, boxH);
        g.setColor(Color.GRAY);
        g.drawRect(x0, y0, boxW, boxH);
        for (int i = 0; i < names.size(); i++) {
            int y = y0 + 4 + lineH * i + lineH / 2;
            g.setColor(color(i));
            g.setStroke(new BasicStroke(3f));
            g.drawLine(x0 + 6, y, x0 + 24, y);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), x0 + 28, y + fm.getAscent() / 2 - 1);
        }
    }

    /** Writes a PNG, creating parent folders. */
    public static void writePng(BufferedImage img, Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IOException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }
}
