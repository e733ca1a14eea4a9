package dev.ccpo.demo.eval;

import dev.ccpo.cli.Progress;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.Episode;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.Seeds;
import dev.ccpo.policy.team.TeamRunner;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
  * Scores methods × datasets with {@link TeamRunner}: for each task, {@code samples} episodes
  * (greedy: use 1), pass@1 = mean reward. The seed of a task depends on the dataset and task index
  * only, so every method sees the same sampling randomness for a task. Tasks run on
  * {@code parallelTasks} threads and their greedy model calls are merged into batches
  * ({@link BatchingChatModel}); results are collected in task order.
  */
public final class Evaluator {
    private static final Logger log = LoggerFactory.getLogger(Evaluator.class);

    /**
      * @param params sampling (temperature 0 = greedy); its seed is replaced per task
      * @param samples episodes per task; pass@1 is their mean reward
      * @param seed base seed
      * @param parallelTasks tasks run at once; their greedy model calls are merged into batches
      */
    public record Options(SamplingParams params, int samples, long seed, int parallelTasks) {
        public Options {
            if (parallelTasks < 1) {
                throw new IllegalArgumentException("config key 'parallel.tasks' must be >= 1, got " + parallelTasks);
            }
            Objects.requireNonNull(params, "params");
            if (samples < 1) {
                throw new IllegalArgumentException("config key 'samples' must be >= 1, got " + samples);
            }
        }
    }

    private final PromptLibrary prompts;
    private final Verifier verifier;
    private final PrintStream out;
    private final long progressIntervalMs;

    /** @param out where the progress line goes (null: nowhere) */
    public Evaluator(PromptLibrary prompts, Verifier verifier, PrintStream out, long progressIntervalMs) {
        this.prompts = Objects.requireNonNull(prompts);
        this.verifier = Objects.requireNonNull(verifier);
        this.out = out;
        this.progressIntervalMs = progressIntervalMs;
    }

    /**
      * @param models a model for every policy key the methods' teams need ("thinker", "reasoner",
      *     "voter"); one instance may serve several keys
      */
    public EvalTable evaluate(Map<String, ChatModel> models, List<EvalMethod> methods, List<EvalDataset> datasets,
            Options options) {
        EvalTable table = new EvalTable(methods.stream().map(EvalMethod::name).toList(),
                datasets.stream().map(EvalDataset::name).toList());
        long total = 0;
        for (EvalDataset d : datasets) {
            total += (long) d.tasks().size() * methods.size();
        }
        PrintStream sink = out != null ? out : new PrintStream(PrintStream.nullOutputStream());
        Progress progress = new Progress("evaluate", "tasks", total, progressIntervalMs, sink);
        Map<String, ChatModel> batching = batching(models);
        ExecutorService pool = Executors.newFixedThreadPool(options.parallelTasks(), r -> {
            Thread t = new Thread(r, "evaluate-task");
            t.setDaemon(true);
            return t;
        });
        try {
            long done = 0;
            for (EvalMethod method : methods) {
                TeamRunner runner = new TeamRunner(method.team(), prompts, verifier);
                for (int di = 0; di < datasets.size(); di++) {
                    EvalDataset dataset = datasets.get(di);
                    List<TaskRecord> tasks = dataset.tasks();
                    List<Future<Double>> results = new ArrayList<>();
                    for (int ti = 0; ti < tasks.size(); ti++) {
                        TaskRecord task = tasks.get(ti);
                        long seed = Seeds.derive(options.seed(), di, ti);
                        results.add(pool.submit(() -> runner.runGroup(task, batching, options.params(), options.samples(), seed)
                                .stream().mapToDouble(Episode::reward).average().orElse(0)));
                    }
                    double sum = 0;
                    int errors = 0;
                    for (int ti = 0; ti < tasks.size(); ti++) {
                        try {
                            sum += results.get(ti).get();
                        } catch (ExecutionException e) {
                            // A task that cannot run (e.g. prompt longer than the model's context) scores 0 and is counted.
                            errors++;
                            if (errors == 1) {
                                log.warn("{} on {}: task {} failed, scored 0: {}", method.name(), dataset.name(),
                                        tasks.get(ti).taskId(), e.getCause().toString());
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("evaluation interrupted", e);
                        }
                        done++;
                        progress.update(done, String.format(Locale.ROOT, "%s on %s: %.1f%% so far",
                                method.name(), dataset.name(), 100 * sum / (ti + 1)));
                    }
                    table.put(method.name(), dataset.name(),
                            new EvalTable.Cell(tasks.isEmpty() ? Double.NaN : sum / tasks.size(), tasks.size(), errors));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return table;
    }

    /** One batching wrapper per distinct model instance, so shared policies stay shared. */
    private static Map<String, ChatModel> batching(Map<String, ChatModel> models) {
        Map<ChatModel, ChatModel> wrappers = new IdentityHashMap<>();
        Map<String, ChatModel> out = new LinkedHashMap<>();
        models.forEach((k, m) -> out.put(k, wrappers.computeIfAbsent(m, BatchingChatModel::new)));
        return out;
    }
}
