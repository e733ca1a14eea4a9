package dev.ccpo.demo.eval;

import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.ArithmeticTaskGenerator;
import dev.ccpo.policy.data.DataDirectory;
import dev.ccpo.policy.data.DatasetFormat;
import dev.ccpo.policy.data.DatasetLoader;
import dev.ccpo.policy.data.LoadResult;
import dev.ccpo.policy.data.TaskRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A column of the evaluation table: a name and its tasks (already cut to the limit). */
public record EvalDataset(String name, List<TaskRecord> tasks, int skippedLines) {
    public static final String SYNTHETIC = "synthetic";

    public EvalDataset {
        tasks = List.copyOf(tasks);
    }

    public EvalDataset(String name, List<TaskRecord> tasks) {
        this(name, tasks, 0);
    }

    /** {@code count} synthetic multi-step arithmetic tasks (operands 1..20, as the demo trains on). */
    public static EvalDataset synthetic(long seed, int steps, int count) {
        ArithmeticTaskGenerator gen = new ArithmeticTaskGenerator(seed, steps, 1, 20);
        List<TaskRecord> tasks = new ArrayList<>();
        for (ArithmeticTask t : gen.tasks(0, count)) {
            tasks.add(t.task());
        }
        return new EvalDataset(SYNTHETIC, tasks);
    }

    /**
      * A benchmark by name ("math500", "gsm8k", ... from the project's data/ folder) or any file of one
      * of those formats (format from its path). {@code limit} > 0 keeps the first {@code limit} tasks.
      * Lines the loader could not read are counted in {@link #skippedLines()} (and logged by it).
      */
    public static EvalDataset load(String nameOrPath, int limit) {
        Path asFile = Path.of(nameOrPath);
        LoadResult r;
        String name;
        if (Files.isRegularFile(asFile)) {
            r = DatasetLoader.load(asFile);
            name = r.format().id() + (r.format().defaultFile().endsWith(asFile.getFileName().toString())
                    && asFile.getParent() != null && asFile.getParent().getFileName() != null
                    && asFile.getParent().getFileName().toString().equals(r.format().id())
                    ? "" : ":" + asFile.getFileName());
        } else {
            DatasetFormat f;
            try {
                f = DatasetFormat.parse(nameOrPath);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("config key 'datasets': '" + nameOrPath + "' is neither a file nor a dataset"
                        + " name (allowed: " + SYNTHETIC + ", " + DatasetFormat.allowed() + ")", e);
            }
            Path file = DataDirectory.require().resolve(f.defaultFile());
            r = DatasetLoader.load(file, f);
            name = f.id();
        }
        List<TaskRecord> tasks = r.tasks();
        if (limit > 0 && tasks.size() > limit) {
            tasks = tasks.subList(0, limit);
        }
        return new EvalDataset(name, tasks, r.skipped().size());
    }
}
