package dev.ccpo.demo.eval;

import dev.ccpo.config.Config;
import dev.ccpo.policy.SamplingParams;
import java.util.List;

/**
 * The {@code evaluate} command's settings, read once from the {@link Config} (keys, defaults and docs:
 * {@link Evaluate#spec()}). Methods and datasets stay words here: {@link Evaluate} checks them in its own order.
 */
public record EvaluateSettings(String checkpoint, String device, String datasets, int limit, String methods, int voters,
                               double temperature, double topP, int samples, int parallelTasks, int maxNewTokens, long seed,
                               String promptsDir, long syntheticSeed, int syntheticSteps, int verifierTimeoutMs,
                               int progressIntervalMs, String output) {

    public static EvaluateSettings from(Config c) {
        return new EvaluateSettings(c.string("checkpoint"), c.string("device"), c.string("datasets"), c.integer("limit"),
                c.string("methods"), c.integer("voters"), c.decimal("temperature"), c.decimal("top.p"), c.integer("samples"),
                c.integer("parallel.tasks"), c.integer("max.new.tokens"), c.longValue("seed"), c.string("prompts.dir"),
                c.longValue("synthetic.seed"), c.integer("synthetic.steps"), c.integer("verifier.timeout.ms"),
                c.integer("progress.interval.ms"), c.string("output"));
    }

    SamplingParams sampling() {
        return new SamplingParams((float) temperature, (float) topP, maxNewTokens, List.of(), seed);
    }
}
