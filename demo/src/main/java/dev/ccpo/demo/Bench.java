package dev.ccpo.demo;

import dev.ccpo.analytics.StageLatency;
import dev.ccpo.config.Config;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * {@code demo bench}: the synchronous loop ({@link SyncLoop}) and then the pipeline ({@link Demo}), back to back with
 * the same settings, seed, warm start and budget; ends with one line
 * {@code pipeline traj/s P sync traj/s S ratio P/S} and the pipeline's per-stage latency percentiles.
 */
final class Bench {
    private Bench() {}

    static String run(Config cfg, PrintStream out) throws Exception {
        out.println("== synchronous loop");
        SyncLoop.Result sync = new SyncLoop(cfg, out).run();
        out.println("== pipeline");
        Demo.Outcome pipeline = new Demo(cfg, out).run();
        return summary(sync, pipeline.rl(), pipeline.latency());
    }

    /** Steady-state rates ({@link Demo.SteadyState}); the whole budget's rates, start-up included, in brackets. */
    static String summary(SyncLoop.Result sync, Demo.Rl pipeline, Map<String, StageLatency.Percentiles> latency) {
        double p = pipeline.steady().trajectoriesPerSecond(), s = sync.steady().trajectoriesPerSecond();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "pipeline traj/s %.2f sync traj/s %.2f ratio %.2f (versions/s: pipeline %.3f, sync %.3f; whole budget with start-up:"
                        + " pipeline %.2f traj/s, sync %.2f traj/s)",
                p, s, p / s, pipeline.steady().versionsPerSecond(), sync.steady().versionsPerSecond(),
                pipeline.trajectoriesPerSecond(), sync.trajectoriesPerSecond()));
        latency.forEach((stage, x) -> line.append(String.format(Locale.ROOT,
                "%n  %-14s p50 %7.0f ms  p90 %7.0f ms  p99 %7.0f ms  (%d records)", stage, x.p50(), x.p90(), x.p99(), x.count())));
        return line.toString();
    }
}
