package dev.ccpo.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress line with a bar, rate and ETA, printed at most every interval: long work shows it
 * is alive and when it will end. With an unknown total (total <= 0) it prints count and rate.
 */
public final class Progress {
    private final String label;
    private final String unit;
    private final long total;
    private final long intervalNanos;
    private final PrintStream out;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastPrintNanos;

    public Progress(String label, String unit, long total, long intervalMillis, PrintStream out) {
        this(label, unit, total, intervalMillis, out, System::nanoTime);
    }

    Progress(String label, String unit, long total, long intervalMillis, PrintStream out, LongSupplier clock) {
        this.label = label;
        this.unit = unit;
        this.total = total;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.out = out;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastPrintNanos = startNanos;
    }

    /** Prints the line if the interval has passed (or the work is done); extra is appended (e.g. "loss 0.31"). */
    public void update(long done, String extra) {
        long now = clock.getAsLong();
        boolean finished = total > 0 && done >= total;
        if (!finished && now - lastPrintNanos < intervalNanos) return;
        lastPrintNanos = now;
        out.println(line(done, extra, now));
    }

    String line(long done, String extra, long now) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        double rate = done / seconds;
        StringBuilder s = new StringBuilder(label).append(' ');
        if (total > 0) {
            int width = 24, filled = (int) Math.min(width, width * done / total);
            s.append('[').append("=".repeat(filled)).append(filled < width ? ">" : "").append(" ".repeat(Math.max(0, width - filled - 1))).append("] ");
            s.append(done).append('/').append(total).append(' ').append(unit);
            s.append(String.format(Locale.ROOT, " (%.2f %s/s, ETA %s)", rate, unit, rate > 0 ? duration((total - done) / rate) : "?"));
        } else {
            s.append(done).append(' ').append(unit).append(String.format(Locale.ROOT, " (%.2f %s/s, %s elapsed)", rate, unit, duration(seconds)));
        }
        if (extra != null && !extra.isEmpty()) s.append(" | ").append(extra);
        return s.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
