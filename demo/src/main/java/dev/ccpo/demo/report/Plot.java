package dev.ccpo.demo.report;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/** A chart of the report: built as an XChart chart at a given size, then drawn, written as a PNG or measured. */
public sealed interface Plot permits LineChart, Histogram {
    /** The XChart chart at this size, with the report's style and fixed ranges (see {@link Charts#xyChart}). */
    Charts.Chart toXChart(int width, int height);

    /** Where a render at this size puts the data. */
    default Charts.PlotArea plotArea(int width, int height) {
        return Charts.plotArea(toXChart(width, height));
    }

    default BufferedImage render(int width, int height) {
        return Charts.render(toXChart(width, height));
    }

    default void writePng(Path file, int width, int height) {
        Charts.writePng(toXChart(width, height), file);
    }
}
