package dev.ccpo.kit;

import dev.ccpo.cli.Cli;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.Devices;
import dev.ccpo.policy.model.TorchThreads;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.worker.RolePolicies;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The start-up the model workers (generator, counterfactual) share: the settings read once, checked before any
 * model is loaded (exit 2 on a bad one, exit 1 when the broker cannot be reached), then their role policies, the
 * weights follower, the sampling parameters and the prompts built the same way. The keys it reads are each
 * worker's own spec's: worker.id, model.dir, model.id, device, weights.follow, prompts.dir, temperature, top.p,
 * max.new.tokens, max.prompt.tokens, generation.time.limit.ms, seed.
 */
public record ModelWorker(Config config, String workerId, Path modelDir, String modelId, String device,
                          RecordSerdes serdes, Map<String, Object> kafka) {

    /** Reads and checks the settings ({@code --help} and bad values exit here), applies the torch thread settings. */
    public static ModelWorker start(String name, ConfigSpec spec, String[] args) {
        Config cfg = Cli.configOrExit(spec, args);
        Cli.folderOrExit(cfg, "model.dir", true);
        String modelId = Cli.requiredOrExit(cfg, "model.id");
        Cli.brokerOrExit(cfg);
        System.out.println(name + ": " + TorchThreads.apply(cfg));
        return new ModelWorker(cfg, cfg.string("worker.id"), Path.of(cfg.string("model.dir")), modelId, cfg.string("device"),
                RecordSerdes.fromConfig(cfg), cfg.kafkaClientProperties());
    }

    /**
     * One model per role at version 0, opened from {@code dirOf(role)}; a newer version goes into the oldest kept
     * model in place, and only the first {@code keepVersions} versions load a model of their own (from model.dir).
     */
    public RolePolicies<ChatModel> policies(Collection<String> roles, Function<String, Path> dirOf, int keepVersions) {
        Map<String, ChatModel> initial = new LinkedHashMap<>();
        for (String role : roles) initial.put(role, CausalLM.open(dirOf.apply(role), Devices.pick(device)));
        return new RolePolicies<>(initial, 0, (role, bytes) -> CausalLM.open(modelDir, Devices.pick(device), bytes),
                CausalLM::reload, keepVersions);
    }

    /** Follows the weights topic when weights.follow is set; null otherwise. */
    public WeightsFollower follower() {
        return config.bool("weights.follow")
                ? new WeightsFollower(kafka, config.string(CommonKeys.TOPIC_WEIGHTS), serdes.weights(), modelId, workerId + "-weights").start()
                : null;
    }

    public SamplingParams sampling() {
        return new SamplingParams((float) config.decimal("temperature"), (float) config.decimal("top.p"),
                config.integer("max.new.tokens"), List.of(), config.longValue("seed"))
                .withLimits(config.integer("max.prompt.tokens"), config.longValue("generation.time.limit.ms"));
    }

    /** The built-in prompt templates, or prompts.dir's. */
    public PromptLibrary prompts() {
        String dir = config.string("prompts.dir");
        if (dir.isBlank()) return new PromptLibrary();
        if (!Files.isDirectory(Path.of(dir))) throw new IllegalArgumentException("prompts.dir: no such folder " + dir);
        return new PromptLibrary(Path.of(dir));
    }
}
