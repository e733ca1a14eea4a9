package dev.ccpo.generator;

import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.ArithmeticTaskGenerator;
import dev.ccpo.policy.data.DatasetLoader;
import dev.ccpo.policy.data.LoadResult;
import dev.ccpo.policy.data.TaskRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Tasks to roll out, each with the epoch it belongs to. A finite list (dataset file or synthetic
 * arithmetic) is replayed {@code epochs} times, each epoch shuffled with Random(shuffle.seed + epoch)
 * so every generator with the same seed sees the same order.
 */
public interface TaskSource extends AutoCloseable {

    record Next(TaskRecord task, long epoch) { }

    /** The next task, or empty when the source is exhausted (a topic source waits up to its poll timeout). */
    Optional<Next> next();

    /** Whether more tasks can come; false after the last epoch of a finite list. */
    boolean hasMore();

    /**
     * The task last returned by {@link #next()} could not be rolled out (its processing threw, or its prompt is over
     * max.prompt.tokens): a topic source dead-letters its record, so the loop can commit past it; a list source
     * has no record, so it only logs.
     */
    default void reject(Next task, String reason, Throwable cause) {
        org.slf4j.LoggerFactory.getLogger(TaskSource.class).error("task {} skipped: {}", task.task().taskId(), reason, cause);
    }

    @Override
    default void close() { }

    static TaskSource ofList(List<TaskRecord> tasks, int epochs, long shuffleSeed) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("task source has no tasks");
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        return new TaskSource() {
            private long epoch = 0;
            private int pos = 0;
            private List<TaskRecord> order = shuffled(0);

            private List<TaskRecord> shuffled(long e) {
                List<TaskRecord> copy = new ArrayList<>(tasks);
                Collections.shuffle(copy, new Random(shuffleSeed + e));
                return copy;
            }

            @Override
            public Optional<Next> next() {
                if (!hasMore()) return Optional.empty();
                Next n = new Next(order.get(pos++), epoch);
                if (pos == order.size()) {
                    pos = 0;
                    epoch++;
                    if (epoch < epochs) order = shuffled(epoch);
                }
                return Optional.of(n);
            }

            @Override
            public boolean hasMore() { return epoch < epochs; }
        };
    }

    /** Synthetic multi-step arithmetic tasks 0..count-1 from the policy module's generator. */
    static List<TaskRecord> synthetic(long seed, int count, int steps) {
        ArithmeticTaskGenerator gen = new ArithmeticTaskGenerator(seed, steps, 1, 20);
        List<TaskRecord> out = new ArrayList<>(count);
        for (ArithmeticTask t : gen.tasks(0, count)) out.add(t.task());
        return out;
    }

    /** Tasks from a dataset file; skipped lines are reported, an empty result is an error naming the file. */
    static List<TaskRecord> fromFile(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("task.source: no such dataset file " + file);
        LoadResult r = DatasetLoader.load(file);
        if (!r.skipped().isEmpty())
            org.slf4j.LoggerFactory.getLogger(TaskSource.class).warn("{}: skipped {} lines, first: {}", file, r.skipped().size(), r.skipped().get(0));
        if (r.tasks().isEmpty()) throw new IllegalArgumentException("task.source: dataset file " + file + " has no usable tasks");
        return r.tasks();
    }
}
