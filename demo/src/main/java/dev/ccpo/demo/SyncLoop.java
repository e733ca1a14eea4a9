package dev.ccpo.demo;

import dev.ccpo.demo.eval.HeldOutEval;
import ai.djl.Device;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.config.Roles;
import dev.ccpo.counterfactual.CounterfactualApp;
import dev.ccpo.counterfactual.CounterfactualComputer;
import dev.ccpo.credit.CreditMath.History;
import dev.ccpo.credit.CreditSettings;
import dev.ccpo.credit.GroupCredit;
import dev.ccpo.credit.Stat;
import dev.ccpo.generator.GeneratorApp;
import dev.ccpo.generator.GroupGenerator;
import dev.ccpo.learner.LearnerKeys;
import dev.ccpo.learner.LearnerSettings;
import dev.ccpo.learner.PolicyTrainer;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.worker.RolePolicies;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code demo sync}: the pipeline's work done as the plain synchronous loop it replaces, in one thread with no Kafka:
 * sample a group with the current policies, run its counterfactuals, compute its credit, and after
 * {@code groups.per.version} groups take the learner step, whose weights the next group samples with (in memory).
 * The same classes as the four services, configured by parsing the very arguments the demo gives them
 * ({@link Demo#serviceSettings}), so the loop's throughput is the yardstick of the pipeline's.
 *
 * <p>The global history is the reference's: one EMA fold per learner batch, each batch normalized with the
 * statistics from before it (the pipeline folds per event-time window instead).
 */
public final class SyncLoop {

    /** What one run did; rates are over the RL phase only (warm start and the first evaluation excluded). */
    public record Result(long trajectories, long versions, double seconds, Demo.SteadyState steady, HeldOutEval.Result first,
                         HeldOutEval.Result last) {
        public double trajectoriesPerSecond() { return trajectories / seconds; }
        public double versionsPerSecond() { return versions / seconds; }
    }

    private final Config demo;
    private final PrintStream out;

    public SyncLoop(Config demo, PrintStream out) {
        this.demo = demo;
        this.out = out;
    }

    public Result run() {
        Demo d = new Demo(demo, out);
        DemoSettings ds = d.settings();
        if (d.voting()) throw new IllegalArgumentException("sync runs team=think-reason only (its loop is the Thinker/Reasoner protocol); got team=voting");
        Path workDir = ds.workDir();
        Path promptsDir = DemoTasks.writePrompts(workDir.resolve("prompts"));
        PromptLibrary prompts = new PromptLibrary(promptsDir);
        out.println("[1/3] warm start");
        Path model = d.warmStart(prompts);
        Demo.ServiceSettings settings = d.serviceSettings(model, Map.of(), promptsDir, workDir.resolve("run-sync"), ds.creditMode(), 0);
        Config gen = parse(GeneratorApp.spec(), settings.generator());
        Config cf = parse(CounterfactualApp.spec(), settings.counterfactual());
        CreditSettings credit = CreditSettings.from(parse(CreditSettings.spec(), settings.credit()));
        LearnerSettings learner = LearnerSettings.from(parse(LearnerKeys.spec(), settings.learner()));

        List<String> roles = learner.roles();
        Map<String, CausalLM> policies = new LinkedHashMap<>();
        Map<String, PolicyTrainer> trainers = new LinkedHashMap<>();
        try (Verifier verifier = new Verifier()) {
            for (String role : roles) {
                CausalLM lm = CausalLM.open(model, Device.cpu());
                policies.put(role, lm);
                trainers.put(role, new PolicyTrainer(lm, null, learner.optimizer(), learner.loss(),
                        learner.microBatchSize(), learner.temperature()));
            }
            Map<String, ChatModel> models = new LinkedHashMap<>(policies);
            HeldOutEval eval = new HeldOutEval(d.tasks(), ds.evalTasks(), prompts, verifier, ds.maxNewTokens());
            HeldOutEval.Result first = eval.evaluate(policies.get(Roles.THINKER), policies.get(Roles.REASONER));
            out.println("      " + Demo.describe(0, first));

            GroupGenerator generator = new GroupGenerator(new TeamRunner(TeamSpec.thinkReason(), prompts, verifier, gen.bool("stop.when.truncated")), "sync",
                    gen.integer("group.size"), sampling(gen), gen.longValue("seed"));
            // The counterfactual worker's policies are the learner's models themselves: the swap costs nothing.
            RolePolicies<ChatModel> cfPolicies = new RolePolicies<>(models, 0,
                    (role, bytes) -> { throw new IllegalStateException("the synchronous loop loads no weights"); }, 1);
            CounterfactualComputer counterfactuals = new CounterfactualComputer(cfPolicies, prompts, verifier, sampling(cf),
                    cf.integer("counterfactual.samples"), cf.longValue("seed"), "sync-cf");

            out.println("[2/3] synchronous RL: generate -> counterfactuals -> credit -> learner step, one thread, no Kafka");
            DemoTasks tasks = d.tasks();
            int groupsPerVersion = learner.batchGroups();
            int alternate = learner.alternateSteps();
            long maxVersions = ds.maxVersions();
            long budgetNanos = (long) (ds.budgetMinutes() * 60e9);
            Progress progress = new Progress("sync", "versions", maxVersions > 0 ? maxVersions : -1, 10_000, out);
            Map<String, History> history = new HashMap<>();
            long start = System.nanoTime(), version = 0, trajectories = 0, taskIndex = 0, steadyTrajectories = 0;
            long[] stageNanos = new long[STAGES.size()];  // where the loop's time goes, stage by stage
            double steadySeconds = -1;
            while ((maxVersions == 0 || version < maxVersions) && System.nanoTime() - start < budgetNanos) {
                List<AgentAdvantage> batch = new ArrayList<>();
                Map<String, List<double[]>> signals = new HashMap<>();
                for (int g = 0; g < groupsPerVersion; g++) {
                    long t0 = System.nanoTime();
                    List<Trajectory> group = generator.generate(tasks.training(taskIndex++).task(), 0, models, version);
                    long t1 = System.nanoTime();
                    List<GroupCredit.Episode> episodes = new ArrayList<>(group.size());
                    // The group's re-runs in one batch, as the counterfactual worker batches a poll.
                    List<List<CounterfactualOutcome>> outcomes = counterfactuals.computeAll(group);
                    long t2 = System.nanoTime();
                    for (int i = 0; i < group.size(); i++) {
                        Map<Integer, CounterfactualOutcome> byAgent = new HashMap<>();
                        for (CounterfactualOutcome o : outcomes.get(i)) byAgent.put(o.getMaskedAgentId(), o);
                        episodes.add(new GroupCredit.Episode(group.get(i), byAgent));
                    }
                    GroupCredit.Result r = GroupCredit.compute(episodes, true, history, credit.rule());
                    batch.addAll(r.advantages());
                    r.signals().forEach((k, v) -> signals.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
                    trajectories += group.size();
                    stageNanos[0] += t1 - t0;
                    stageNanos[1] += t2 - t1;
                    stageNanos[2] += System.nanoTime() - t2;
                }
                long t3 = System.nanoTime();
                signals.forEach((k, v) -> history.put(k, fold(history.getOrDefault(k, History.EMPTY), v, credit.historyDecay())));
                String active = alternate == 0 ? null : roles.get((int) ((version / alternate) % roles.size()));
                for (String role : roles) {
                    if (active != null && !active.equals(role)) continue;
                    List<AgentAdvantage> mine = batch.stream()
                            .filter(a -> a.getRole().toString().equals(role) && !a.getOutputTokenIds().isEmpty()).toList();
                    if (!mine.isEmpty()) trainers.get(role).step(mine);
                }
                stageNanos[3] += System.nanoTime() - t3;
                version++;
                double seconds = (System.nanoTime() - start) / 1e9;
                if (version == 1) {
                    steadySeconds = seconds;
                    steadyTrajectories = trajectories;
                }
                progress.update(version, String.format(Locale.ROOT, "trajectories %d (%.2f/s)", trajectories, trajectories / seconds));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "      sync: %d policy versions, %d trajectories in %.1f s: %.2f trajectories/s, %.3f versions/s%n",
                    version, trajectories, seconds, trajectories / seconds, version / seconds);
            out.println("      " + stageBreakdown(stageNanos, version));
            out.println("[3/3] held-out evaluation");
            HeldOutEval.Result last = eval.evaluate(policies.get(Roles.THINKER), policies.get(Roles.REASONER));
            out.println("      " + Demo.describe(version, last));
            return new Result(trajectories, version, seconds,
                    Demo.SteadyState.between(1, steadySeconds, steadyTrajectories, version, seconds, trajectories), first, last);
        } finally {
            for (PolicyTrainer t : trainers.values()) t.close();
            for (CausalLM lm : policies.values()) lm.close();
        }
    }

    /** The loop's stages, in the order of {@link #stageBreakdown}. */
    static final List<String> STAGES = List.of("generate", "counterfactuals", "credit", "learner step");

    /**
     * Where the loop's time went per version, and what a pipeline whose stages each run on their own machine could
     * reach: it is bounded by its slowest stage, the loop by the sum of all, so sum / max is its speed-up.
     */
    static String stageBreakdown(long[] stageNanos, long versions) {
        if (versions == 0) return "sync stages: no version";
        StringBuilder s = new StringBuilder("sync stages, ms per version:");
        long sum = 0, max = 0;
        for (int i = 0; i < stageNanos.length; i++) {
            s.append(String.format(Locale.ROOT, " %s %.1f", STAGES.get(i), stageNanos[i] / 1e6 / versions));
            sum += stageNanos[i];
            max = Math.max(max, stageNanos[i]);
        }
        return s.append(String.format(Locale.ROOT, "; one machine per stage: at most %.2fx the loop (sum / slowest stage)",
                (double) sum / max)).toString();
    }

    /**
     * The batch's signal values folded into the history: the reference's one EMA step per learner batch, with the
     * batch's moments merged as the credit app merges a window's.
     */
    static History fold(History h, List<double[]> groups, double decay) {
        Stat batch = Stat.EMPTY;
        for (double[] g : groups) batch = batch.merge(Stat.of(g));
        return batch.count() == 0 ? h : h.fold(batch.count(), batch.mean(), batch.variance(), decay);
    }

    private static SamplingParams sampling(Config c) {
        return new SamplingParams((float) c.decimal("temperature"), (float) c.decimal("top.p"), c.integer("max.new.tokens"),
                List.of(), c.longValue("seed")).withLimits(c.integer("max.prompt.tokens"), c.longValue("generation.time.limit.ms"));
    }

    private static Config parse(ConfigSpec spec, List<String> args) {
        return Config.load(spec, args.toArray(String[]::new), Map.of());
    }
}
