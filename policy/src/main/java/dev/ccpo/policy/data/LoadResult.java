package dev.ccpo.policy.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Tasks read from a file, and the lines that could not be read (with the reason), so that
 * callers can report or fail on them rather than lose them silently.
 */
public record LoadResult(Path file, DatasetFormat format, List<TaskRecord> tasks, List<SkippedLine> skipped) {
    public LoadResult {
        tasks = List.copyOf(tasks);
        skipped = List.copyOf(skipped);
    }

    /** A line that was not turned into a task; lineNumber counts from 1. */
    public record SkippedLine(int lineNumber, String reason) {
        @Override
        public String toString() { return "line " + lineNumber + ": " + reason; }
    }
}
