package dev.ccpo.demo;

import dev.ccpo.demo.eval.HeldOutEval;
import dev.ccpo.demo.eval.VotingEval;
import dev.ccpo.cli.Cli;
import dev.ccpo.config.Config;
import dev.ccpo.demo.eval.Evaluate;
import dev.ccpo.policy.team.PromptLibrary;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar demo/target/demo-0.1.0-SNAPSHOT.jar [demo|sync|bench|ablation|warm-start|evaluate] [--key=value ...]}.
 * Every command takes the demo's keys ({@code --help} lists them); evaluate has its own.
 */
public final class DemoCli {
    private DemoCli() {}

    public static void main(String[] args) throws Exception {
        // Kafka clients log every config at INFO; the demo's own lines are what matters (override with -D)
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        String command = args.length > 0 && !args[0].startsWith("--") ? args[0] : "demo";
        String[] rest = args.length > 0 && !args[0].startsWith("--") ? Arrays.copyOfRange(args, 1, args.length) : args;
        switch (command) {
            case "demo" -> {
                Demo.Outcome o = new Demo(Cli.configOrExit(Demo.spec(), rest), System.out).run();
                HeldOutEval.Result first = o.evaluations().get(0L), last = o.last();
                System.out.printf("done: %d policy versions; held-out team accuracy %.3f -> %.3f (credit.mode=%s); report in %s%n",
                        o.versions(), first.team(), last.team(), o.creditMode(), o.reportDir());
            }
            case "sync" -> {
                SyncLoop.Result r = new SyncLoop(Cli.configOrExit(Demo.spec(), rest), System.out).run();
                System.out.printf(java.util.Locale.ROOT, "done: sync %.2f trajectories/s, %.3f versions/s from v1 on (%d versions); held-out team accuracy %.3f -> %.3f%n",
                        r.steady().trajectoriesPerSecond(), r.steady().versionsPerSecond(), r.versions(), r.first().team(), r.last().team());
            }
            case "bench" -> System.out.println(Bench.run(Cli.configOrExit(Demo.spec(), rest), System.out));
            case "ablation" -> {
                Config cfg = Cli.configOrExit(Demo.spec(), rest); // validates the keys (and --help) before the first run
                try {
                    dev.ccpo.demo.ablation.AblationPlan.parse(cfg.string("ablation.shapes"), cfg.string("ablation.seeds"), cfg.string("ablation.modes"));
                    if (cfg.string("ablation.shapes").contains("voting")) DemoSettings.votingStrengths(cfg.string("voting.strengths"));
                } catch (IllegalArgumentException e) {
                    System.err.println("ablation: " + e.getMessage());
                    System.exit(2);
                }
                Ablation.run(rest, System.getenv(), System.out);
            }
            case "warm-start" -> {
                Demo demo = new Demo(Cli.configOrExit(Demo.spec(), rest), System.out);
                DemoSettings s = demo.settings();
                Path prompts = DemoTasks.writePrompts(s.workDir().resolve("prompts"));
                PromptLibrary library = new PromptLibrary(prompts);
                if (demo.voting()) { // each voter's own warm start, then the voters alone and their majority
                    Map<String, Path> voters = demo.voterWarmStarts(library);
                    voters.forEach((policy, dir) -> System.out.println("warm-start checkpoint of " + policy + ": " + dir));
                    Map<String, dev.ccpo.policy.model.CausalLM> models = new java.util.LinkedHashMap<>();
                    try (var verifier = new dev.ccpo.policy.reward.Verifier()) {
                        voters.forEach((policy, dir) -> models.put(policy, dev.ccpo.policy.model.CausalLM.open(dir, ai.djl.Device.cpu())));
                        VotingEval eval = new VotingEval(demo.tasks(), s.evalTasks(), library, verifier, s.maxNewTokens());
                        System.out.println(Demo.describe(0, eval.evaluate(models)));
                    } finally {
                        models.values().forEach(dev.ccpo.policy.model.CausalLM::close);
                    }
                    break;
                }
                Path model = demo.warmStart(library);
                System.out.println("warm-start checkpoint: " + model);
                try (var verifier = new dev.ccpo.policy.reward.Verifier();
                     var lm = dev.ccpo.policy.model.CausalLM.open(model, ai.djl.Device.cpu())) {
                    HeldOutEval eval = new HeldOutEval(demo.tasks(), s.evalTasks(), library, verifier, s.maxNewTokens());
                    System.out.println(Demo.describe(0, eval.evaluate(lm, lm)));
                }
            }
            case "evaluate" -> {
                // alone on the machine: automatic threads for one PyTorch process (-Dai.djl.pytorch.num_threads overrides)
                System.out.println("evaluate: " + dev.ccpo.policy.model.TorchThreads.apply(0, 1));
                Evaluate.main(rest);
            }
            default -> {
                System.err.println("unknown command '" + command + "'; expected one of " + List.of("demo", "sync", "bench", "ablation", "warm-start", "evaluate"));
                System.exit(2);
            }
        }
        System.exit(0); // the Kafka clients' and DJL's non-daemon threads must not keep the JVM alive
    }
}
