package dev.ccpo.demo;

import dev.ccpo.demo.eval.HeldOutEval;
import dev.ccpo.demo.eval.VotingEval;
import dev.ccpo.demo.monitor.PipelineMonitor;
import dev.ccpo.demo.report.DemoReport;
import ai.djl.Device;
import dev.ccpo.analytics.AnalyticsApp;
import dev.ccpo.analytics.AnalyticsKeys;
import dev.ccpo.analytics.StageLatency;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.config.Roles;
import dev.ccpo.counterfactual.CounterfactualApp;
import dev.ccpo.demo.report.MetricsTable;
import dev.ccpo.credit.CreditStreamApp;
import dev.ccpo.generator.GeneratorApp;
import dev.ccpo.infra.LocalCluster;
import dev.ccpo.infra.ServiceAcls;
import dev.ccpo.learner.LearnerApp;
import dev.ccpo.policy.model.TorchThreads;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsBlob;
import dev.ccpo.weights.WeightsFollower;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The embedded CCPO demo: a real Kafka broker and schema registry, the four services as child processes, a tiny
 * THINK_REASON team trained on synthetic arithmetic, held-out accuracy every few policy versions, and a report.
 * Every key has a default that runs on a laptop; {@code --help} lists them.
 */
public final class Demo {

    public static ConfigSpec spec() {
        return new ConfigSpec("demo")
                .string("work.dir", "ccpo-local/demo", "Where the warm-start cache, service logs, checkpoints and reports go.")
                .string("report.dir", "", "Report folder; empty = <work.dir>/report-<credit.mode>.")
                .choice("credit.mode", "ccpo", "Credit rule of the credit app.", "ccpo", "ccpo-bonus", "shared")
                .choice("team", "think-reason", "Team shape: think-reason (a Thinker plans the first steps, a Reasoner finishes; counterfactual: "
                        + "the Reasoner alone, rerun by the counterfactual worker) or voting (one voter per voting.strengths entry, each "
                        + "with its own policy, majority vote; counterfactual: the vote without the voter, recomputed).", "think-reason", "voting")
                .string("voting.strengths", "1,0.5,0.25", "team=voting: one entry per voter (at least 2), each in (0, 1]: the share of "
                        + "warm.steps its own policy is warm-started with, so that the voters' held-out accuracies differ.")
                .decimal("budget.minutes", 10.0, 0.1, 10_000, "Wall-clock budget of the RL phase (the warm start is extra, and cached).")
                .integer("max.versions", 0, 0, 1_000_000, "Stop after this many published policy versions; 0 = only the budget.")
                .longKey("seed", 1L, 0L, "Seed of the tasks, the model init and the sampling.")
                .integer("task.steps", 2, 1, 8, "Operations per arithmetic task.")
                .integer("task.max.operand", 9, 2, 999, "Largest operand of the arithmetic tasks (multipliers stay 2..9).")
                .integer("task.reasoner.steps", 1, 0, 7, "Steps the Reasoner works out itself from the Thinker's plan (0 = the plan carries the answer and the Reasoner copies it); below task.steps.")
                .integer("task.count", 20_000, 1, 10_000_000, "Tasks the demo publishes to ccpo.tasks for the generator.")
                .integer("group.size", 8, 2, 64, "G: rollouts per task (one GRPO group).")
                .integer("groups.per.version", 4, 1, 1000, "Groups per learner step; one step = one new policy version. "
                        + "4 measured fastest against the loop (demo/README); the learning results there were measured with 2.")
                .integer("max.policy.lag", 3, 0, 1000, "The generator's staleness bound: max versions its data may run ahead of the latest published policy.")
                .integer("counterfactual.batch", 8, 1, 10_000, "Trajectories the counterfactual worker takes per poll and transaction, re-run in one batched call (its max.poll.records).")
                .integer("max.new.tokens", 40, 8, 256, "Max tokens per turn (the Thinker's plan is about 36 characters).")
                .decimal("temperature", 0.7, 0.1, 2.0, "Sampling temperature of rollouts and counterfactuals (the learner's ratios use the same).")
                .integer("alternate.steps", 10, 0, 1_000_000, "Learner steps per role before switching to the other (the reference's schedule: 10); 0 = both roles every step.")
                .decimal("rl.lr", 5e-5, 1e-7, 1e-1, "Learning rate of the RL updates (2e-4 was measured to degrade the warm start).")
                .integer("warm.steps", 2000, 0, 1_000_000, "Supervised warm-start steps (0 = RL from a random model); 2000 gives ~53% held-out team accuracy.")
                .integer("warm.batch", 48, 3, 4096, "Examples per warm-start step (three per task).")
                .decimal("warm.lr", 3e-3, 1e-6, 1.0, "Warm-start learning rate.")
                .integer("model.hidden", 64, 16, 4096, "Hidden size of the tiny model.")
                .integer("model.layers", 2, 1, 64, "Layers of the tiny model.")
                .integer("eval.tasks", 200, 1, 100_000, "Held-out tasks per evaluation.")
                .integer("eval.every", 25, 1, 1000, "Evaluate every N policy versions.")
                .integer("stats.window.ms", 2000, 100, 3_600_000, "The credit app's statistics window (short: a group leaves once the window before its own has closed).")
                .choice("credit.release", "on-complete", "The credit app's credit.release: on-complete (a complete group leaves at once, with the newest closed history: live training) or window (it waits for its statistics window; deterministic, as the ablation in demo/README was measured).", "on-complete", "window")
                .integer("stats.window.grace.ms", 500, 0, 3_600_000, "The credit app's window grace; a group whose counterfactual arrives later than this is credited as of its window but counted in a later window of the statistics.")
                .string("service.heap", "768m", "-Xmx of each service process.")
                .integer("demo.threads", 1, 0, 1024, "PyTorch intra-op threads of the demo's own JVM (warm start, held-out evaluation). "
                        + "Fixed by default because the warm start's weights depend on it; 0 = automatic from the cores (faster on "
                        + "a big machine, but another machine then warm-starts another model from the same seed).")
                .bool("analytics", true, "Serve the live analytics page (analytics module) while the demo runs.")
                .integer("analytics.port", 8090, 0, 65535, "Port of the live analytics page; 0 = any free port.")
                .integer("brokers", 1, 1, 9, "Brokers of the local Kafka cluster (each also a KRaft controller); from 3 on, topics have "
                        + "3 replicas and min.insync.replicas 2, as in production.")
                .string("ablation.shapes", "think-reason,voting", "ablation: the team shapes to run, comma-separated (think-reason, voting).")
                .string("ablation.seeds", "1,2,3", "ablation: the seeds to run, comma-separated (at least 3 for an interval worth reading).")
                .string("ablation.modes", "ccpo,shared,ccpo-bonus", "ablation: the credit modes to run, comma-separated (ccpo, shared, ccpo-bonus).")
                .choice("security", "plaintext", "The broker's security: plaintext, or sasl (SASL/SCRAM-SHA-256 and ACLs: each service "
                        + "and the analytics page run as their own principal with only their least-privilege ACLs).", "plaintext", "sasl");
    }

    /** The RL phase as it ended at the budget (before the services drained): its length and the trajectories made in it. */
    public record Rl(long versions, double seconds, long trajectories, SteadyState steady) {
        public double trajectoriesPerSecond() { return trajectories / seconds; }
    }

    /**
     * The rate once the loop turns: from the first published version (start-up, model loading and the first group's
     * trip through every stage excluded) to the end of the budget. The same measure for the pipeline and the
     * synchronous loop, so their ratio compares steady states.
     */
    public record SteadyState(long versions, double seconds, long trajectories) {
        static final SteadyState NONE = new SteadyState(0, 0, 0);

        static SteadyState between(long v0, double s0, long t0, long v1, double s1, long t1) {
            return s0 < 0 ? NONE : new SteadyState(v1 - v0, s1 - s0, t1 - t0);
        }

        public double trajectoriesPerSecond() { return seconds > 0 ? trajectories / seconds : Double.NaN; }
        public double versionsPerSecond() { return seconds > 0 ? versions / seconds : Double.NaN; }
    }

    /**
     * What one run produced: the held-out accuracy per evaluated version, where the report is, and the credit quality
     * per role over all of the run's advantages.
     */
    public record Outcome(String creditMode, Map<Long, HeldOutEval.Result> evaluations, long versions, Path reportDir,
                          Map<String, Long> topicCounts, Map<String, Long> workerVersions, MetricsTable metrics,
                          String analyticsSummary, Rl rl, Map<String, StageLatency.Percentiles> latency,
                          List<String> endToEndProblems, List<dev.ccpo.analytics.CreditQuality.Figures> creditQuality) {
        public HeldOutEval.Result last() {
            return evaluations.isEmpty() ? null : evaluations.get(((TreeMap<Long, HeldOutEval.Result>) evaluations).lastKey());
        }
    }

    /**
     * Lets a caller act on a run while it happens: the demo's integration tests open the live analytics page in
     * Chromium, or restart the broker under the running services.
     */
    public interface RunObserver {
        RunObserver NONE = new RunObserver() {};

        /** The first advantages have flowed (the pipeline is mid-run); {@code pageUrl} is null with analytics off. */
        default void running(LocalCluster cluster, String pageUrl) {}

        /** The services have stopped and the page has read what the monitor has read; it still serves. */
        default void settled(String pageUrl, PipelineMonitor monitor) {}
    }

    /** JVMs of the demo that run PyTorch: this one (warm start, evaluation), the learner, counterfactual and generator. */
    static final int PYTORCH_PROCESSES = 4;
    private final DemoSettings s;
    private final PrintStream out;

    public Demo(Config cfg, PrintStream out) {
        this(DemoSettings.from(cfg), out);
    }

    public Demo(DemoSettings s, PrintStream out) {
        // The demo JVM and three PyTorch services share the cores: OpenMP threads spin-waiting on each other made every
        // step 10x slower with PyTorch's default (measured). The demo JVM's own count is fixed (demo.threads, default 1)
        // rather than derived from the cores: the warm start's weights depend on it (measured, README "Same seed, same
        // numbers"), so a machine with more cores would otherwise warm-start another model from the same seed.
        out.println("demo: " + TorchThreads.apply(s.demoThreads(), PYTORCH_PROCESSES));
        this.s = s;
        this.out = out;
        tasks(); // fails here, before anything starts, when task.reasoner.steps does not leave the Thinker a step
    }

    public DemoSettings settings() { return s; }

    boolean voting() {
        return s.voting();
    }

    /** The team's policies: thinker and reasoner, or voter0, voter1, … (the learner's roles, the weights' roles). */
    List<String> policies() {
        if (!voting()) return List.of(Roles.THINKER, Roles.REASONER);
        List<String> voters = new ArrayList<>();
        for (int k = 0; k < s.voterShares().size(); k++) voters.add(Roles.voter(k));
        return voters;
    }

    /**
     * team=voting: each voter's own warm start, voter k trained for its voting.strengths share of warm.steps on the
     * voter's turn (the worked steps and the boxed answer), from the same seed: weaker voters are the same training
     * stopped earlier. Cached like the Think–Reason warm start.
     */
    Map<String, Path> voterWarmStarts(PromptLibrary prompts) {
        List<Double> shares = s.voterShares();
        List<String> voters = policies();
        Map<String, Path> models = new java.util.LinkedHashMap<>();
        for (int k = 0; k < shares.size(); k++) {
            int steps = Math.max(1, (int) Math.round(shares.get(k) * s.warmSteps()));
            out.printf(Locale.ROOT, "      %s: %.2f of warm.steps = %d steps%n", voters.get(k), shares.get(k), steps);
            WarmStart.Settings w = new WarmStart.Settings(s.modelHidden(), s.modelLayers(), steps,
                    s.warmBatch(), s.warmLr(), s.seed(), tasks(), WarmStart.Protocol.VOTER);
            models.put(voters.get(k), WarmStart.ensure(s.workDir(), w, prompts, out));
        }
        return models;
    }

    /** Stage 1: the cached warm-start checkpoint (trains it when missing). */
    public Path warmStart(PromptLibrary prompts) {
        DemoTasks tasks = tasks();
        WarmStart.Settings w = new WarmStart.Settings(s.modelHidden(), s.modelLayers(),
                s.warmSteps(), s.warmBatch(), s.warmLr(), s.seed(), tasks);
        return WarmStart.ensure(s.workDir(), w, prompts, out);
    }

    DemoTasks tasks() {
        return new DemoTasks(s.seed(), s.taskSteps(), s.taskMaxOperand(), s.taskReasonerSteps());
    }

    /** The whole run: warm start, cluster, services, RL for the budget, report. */
    public Outcome run() throws Exception {
        return run(RunObserver.NONE);
    }

    /** {@link #run()}, with {@code observer} told when the pipeline is running and when it has settled. */
    public Outcome run(RunObserver observer) throws Exception {
        String mode = s.creditMode().word();
        Path promptsDir = DemoTasks.writePrompts(s.workDir().resolve("prompts"));
        PromptLibrary prompts = new PromptLibrary(promptsDir);
        out.println("[1/4] warm start" + (voting() ? " of each voter" : ""));
        // team=voting: each voter's warm-started checkpoint, by policy (voter0, …)
        Map<String, Path> voterModels = voting() ? voterWarmStarts(prompts) : Map.of();
        // every policy's checkpoint has the same architecture: published weights load over this one's config
        Path model = voting() ? voterModels.values().iterator().next() : warmStart(prompts);
        Path runDir = s.workDir().resolve("run-" + mode);
        Path reportDir = s.reportPath();
        deleteRecursively(runDir); // checkpoints of an earlier run must not be resumed by this one's learner

        out.println("[2/4] starting a Kafka broker (KRaft) and the schema registry");
        boolean sasl = s.security() == DemoSettings.Security.SASL;
        if (sasl && s.brokers() != 1) throw new IllegalArgumentException("security=sasl runs on one broker; brokers=" + s.brokers());
        try (LocalCluster cluster = sasl ? LocalCluster.startWithSasl(secret()) : LocalCluster.start(s.brokers());
             Verifier verifier = new Verifier()) {
            out.printf("      bootstrap.servers=%s schema.registry.url=%s%n", cluster.bootstrapServers(), cluster.registryUrl());
            Map<String, List<String>> credentials = credentials(cluster, sasl, creditAppId(mode));
            Evaluation eval = evaluation(prompts, verifier);
            Map<Long, HeldOutEval.Result> evaluations = new TreeMap<>();
            HeldOutEval.Result r0 = evaluateInitial(model, voterModels, eval);
            evaluations.put(0L, r0);
            out.println("      " + describe(0, r0));

            out.println("[3/4] starting generator, counterfactual, credit and learner services (logs in " + runDir.resolve("logs") + ")");
            RecordSerdes serdes = RecordSerdes.fromConfig(cluster.config("demo"));
            publishTasks(cluster, serdes);
            int creditHttpPort = freePort(); // the credit app's /stats
            ServiceSettings settings = serviceSettings(model, voterModels, promptsDir, runDir, s.creditMode(), creditHttpPort);
            List<ServiceProcess> services = startServices(cluster, credentials, settings, runDir);
            String modelId = model.getFileName().toString();
            try (PipelineMonitor monitor = new PipelineMonitor(cluster.kafkaProps(), serdes, topics());
                 WeightsFollower weights = new WeightsFollower(cluster.kafkaProps(), "ccpo.weights", serdes.weights(), modelId, "ccpo-demo-eval").start();
                 AnalyticsApp analytics = s.analytics() ? AnalyticsApp.start(cluster.config(AnalyticsKeys.serveSpec(),
                         concat(credentials.get("analytics"), "--" + AnalyticsKeys.HTTP_PORT + "=" + s.analyticsPort())
                                 .toArray(String[]::new))) : null) {
                if (analytics != null) out.println("      live analytics page: " + analytics.url());
                Runnable firstAdvantages = () -> observer.running(cluster, analytics == null ? null : analytics.url());
                Rl rl = train(services, monitor, weights, model, eval, evaluations, firstAdvantages);
                out.println("[4/4] stopping the services and writing the report");
                com.fasterxml.jackson.databind.JsonNode creditStats = stopAndDrain(services, monitor, creditHttpPort);
                String summary = analytics == null ? "" : settledSummary(analytics, monitor);
                if (analytics != null) observer.settled(analytics.url(), monitor);
                MetricsTable metrics = DemoReport.write(reportDir, evaluations, monitor, out);
                java.nio.file.Files.writeString(reportDir.resolve("credit-stats.json"), creditStats.toPrettyString());
                return new Outcome(mode, evaluations, rl.versions(), reportDir, monitor.counts(), monitor.workerVersions(), metrics, summary,
                        rl, monitor.latency(), monitor.endToEndProblems(voting() ? List.of(Roles.VOTER)
                        : List.of(Roles.THINKER, Roles.REASONER)), monitor.creditQuality());
            } finally {
                for (ServiceProcess s : services) s.stop(30);
            }
        }
    }

    /** The training tasks, into ccpo.tasks: the generator reads them from the topic like any deployment would. */
    private void publishTasks(LocalCluster cluster, RecordSerdes serdes) {
        Map<String, Object> p = new java.util.HashMap<>(cluster.kafkaProps());
        p.put(org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG, 20);
        // one request in flight, as the generator's producer (why: GeneratorApp.producerProps)
        p.put(org.apache.kafka.clients.producer.ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        DemoTasks tasks = tasks();
        int n = s.taskCount();
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(p,
                new org.apache.kafka.common.serialization.StringSerializer(), serdes.task().serializer())) {
            java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
            for (long i = 0; i < n; i++) {
                dev.ccpo.avro.Task t = tasks.record(i);
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("ccpo.tasks", t.getTaskId(), t),
                        (md, e) -> { if (e != null) failed.compareAndSet(null, e); });
            }
            producer.flush(); // returns whether or not the sends succeeded
            if (failed.get() != null) throw new IllegalStateException("publishing the tasks to ccpo.tasks failed: " + failed.get(), failed.get());
        }
        out.printf("      %d training tasks published to ccpo.tasks%n", n);
    }

    /**
     * The analytics page's /api/summary once it has read everything the demo's own monitor has (the services are
     * stopped, so both stop moving): the two independent readers of the topics must then agree.
     */
    private static String settledSummary(AnalyticsApp analytics, PipelineMonitor monitor) throws InterruptedException {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest get = java.net.http.HttpRequest.newBuilder(java.net.URI.create(analytics.url() + "api/summary")).build();
        String body = "";
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                body = http.send(get, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                long seen = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("team").path("trajectories").asLong(-1);
                if (seen == monitor.count("trajectories")) return body;
            } catch (java.io.IOException e) {
                body = "";
            }
            Thread.sleep(500);
        }
        return body;
    }

    private static String creditAppId(String mode) { return "ccpo-credit-demo-" + mode; }

    private static String secret() { return UUID.randomUUID().toString(); }

    /**
     * Each service's --kafka.* security arguments: none on a plaintext cluster; on a SASL cluster a SCRAM user per
     * service (ServiceAcls.SERVICES) with a fresh password and exactly its ServiceAcls. The demo's own readers and the
     * task feed use the super user.
     */
    private Map<String, List<String>> credentials(LocalCluster cluster, boolean sasl, String creditAppId) {
        Map<String, List<String>> args = new HashMap<>();
        if (!sasl) {
            for (String service : ServiceAcls.SERVICES) args.put(service, List.of());
            return args;
        }
        List<AclBinding> acls = new ArrayList<>();
        for (String service : ServiceAcls.SERVICES) {
            String password = secret();
            cluster.createUser(service, password);
            args.put(service, cluster.serviceArgs(service, password));
            acls.addAll(ServiceAcls.of(service, "User:" + service, creditAppId));
        }
        try (Admin admin = Admin.create(cluster.kafkaProps())) {
            admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the services' ACLs: " + e, e);
        }
        out.printf("      SASL/SCRAM with ACLs: principals %s, each with only its own ACLs (README: Access control)%n",
                String.join(", ", ServiceAcls.SERVICES));
        return args;
    }

    private List<ServiceProcess> startServices(LocalCluster cluster, Map<String, List<String>> credentials, ServiceSettings settings,
                                               Path runDir) {
        Path logs = runDir.resolve("logs");
        String heap = s.serviceHeap();
        List<String> common = List.of("--" + CommonKeys.BOOTSTRAP_SERVERS + "=" + cluster.bootstrapServers(),
                "--" + CommonKeys.REGISTRY_URL + "=" + cluster.registryUrl());
        Function<String, List<String>> base = service -> concat(common, credentials.get(service).toArray(String[]::new));
        List<ServiceProcess> started = new ArrayList<>();
        try {
            // learner and credit first: the generator's staleness bound waits for the learner's weights
            started.add(ServiceProcess.start("learner", LearnerApp.class.getName(), concat(base.apply("learner"),
                    settings.learner().toArray(String[]::new)), logs, heap));
            started.add(ServiceProcess.start("credit", CreditStreamApp.class.getName(), concat(base.apply("credit"),
                    settings.credit().toArray(String[]::new)), logs, heap));
            started.add(ServiceProcess.start("counterfactual", CounterfactualApp.class.getName(), concat(base.apply("counterfactual"),
                    settings.counterfactual().toArray(String[]::new)), logs, heap));
            started.add(ServiceProcess.start("generator", GeneratorApp.class.getName(), concat(base.apply("generator"),
                    settings.generator().toArray(String[]::new)), logs, heap));
            return started;
        } catch (RuntimeException e) {
            started.forEach(s -> s.stop(10));
            throw e;
        }
    }

    private static int freePort() {
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            return free.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no free port for the credit app's /stats", e);
        }
    }

    /** Each service's settings as --key=value arguments, without the cluster's address and credentials. */
    record ServiceSettings(List<String> generator, List<String> counterfactual, List<String> credit, List<String> learner) { }

    /**
     * The demo's settings of the four services, in one place: the pipeline passes them to the service processes, and
     * {@link SyncLoop} parses the same arguments with the same services' config specs, so both do the same work.
     */
    ServiceSettings serviceSettings(Path model, Map<String, Path> voterModels, Path prompts, Path runDir, DemoSettings.CreditMode creditMode,
                                    int creditHttpPort) {
        String mode = creditMode.word();
        String modelId = "--model.id=" + model.getFileName();
        String seed = "--seed=" + s.seed();
        String temperature = "--temperature=" + s.temperature();
        String maxNewTokens = "--max.new.tokens=" + s.maxNewTokens();
        String colocated = "--" + TorchThreads.COLOCATED_KEY + "=" + PYTORCH_PROCESSES;
        // The demo has just started the cluster and seen it ready: on a busy machine a service JVM may take longer
        // than the services' 15 s default to reach it (seen: the credit app, with a test suite beside it).
        String startup = "--startup.timeout.ms=60000";
        String policyDirs = "--" + dev.ccpo.policy.model.PolicyDirs.KEY + "=" + String.join(",",
                voterModels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        List<String> learner = List.of(startup, "--model.dir=" + model, modelId, "--roles=" + String.join(",", policies()), policyDirs, "--device=cpu", colocated,
                "--lr=" + s.rlLr(), "--lr.warmup.steps=0", "--batch.groups=" + s.groupsPerVersion(),
                "--micro.batch.size=16", "--alternate.steps=" + s.alternateSteps(), "--publish.every=1",
                // max.versions: the learner stops there, so every run of an ablation is evaluated at the same version
                "--max.steps=" + s.maxVersions(), "--max.policy.lag=6", temperature, seed,
                "--checkpoint.dir=" + runDir.resolve("checkpoints"), "--checkpoint.every=5", "--weights.dir=" + runDir.resolve("weights"));
        List<String> credit = List.of(startup, "--application.id=" + creditAppId(mode), "--credit.mode=" + mode, "--http.port=" + creditHttpPort,
                "--group.grace.ms=120000",
                // the learner's batch: the history decays history.decay per learner batch whatever the window length
                "--history.batch.groups=" + s.groupsPerVersion(),
                // short windows: a group leaves once its window closed, and the generator waits on the learner
                "--stats.window.ms=" + s.statsWindowMs(), "--stats.window.grace.ms=" + s.statsWindowGraceMs(),
                "--credit.release=" + s.creditRelease(),
                // its own state folder, wiped with the run: a fresh cluster must not meet the last run's stores
                "--kafka.state.dir=" + runDir.resolve("credit-state"));
        List<String> counterfactual = List.of(startup, "--worker.id=cf-1", "--model.dir=" + model, modelId, "--device=cpu", colocated,
                "--prompts.dir=" + prompts, "--counterfactual.samples=1", maxNewTokens, temperature, seed,
                "--max.poll.records=" + s.counterfactualBatch());
        List<String> generator = List.of(startup, "--worker.id=gen-1", "--model.dir=" + model, modelId, "--device=cpu", colocated,
                "--prompts.dir=" + prompts, "--task.source=topic", policyDirs,
                // voting: one policy per voter (voter0, voter1, …), each from its own warm start
                voting() ? "--topology=VOTING" : "--topology=THINK_REASON", "--voters=" + (voting() ? policies().size() : 3),
                voting() ? "--voting.policies=per-voter" : "--voting.policies=shared", "--group.size=" + s.groupSize(),
                "--groups.per.version=" + s.groupsPerVersion(), "--max.policy.lag=" + s.maxPolicyLag(), maxNewTokens, temperature, seed);
        return new ServiceSettings(generator, counterfactual, credit, learner);
    }

    /**
     * Stops the services upstream first, each after the next one caught up (at most 30 s each): the generator; the
     * counterfactual worker once every trajectory has its outcome; the credit app once every trajectory is credited
     * (with its inputs quiet, its wall-clock fallback closes the open windows and publishes their statistics); then
     * the learner. So the report counts every rollout the demo made. Returns the credit app's /stats as it stopped.
     */
    private com.fasterxml.jackson.databind.JsonNode stopAndDrain(List<ServiceProcess> services, PipelineMonitor monitor, int creditHttpPort)
            throws InterruptedException {
        Map<String, ServiceProcess> byName = new java.util.HashMap<>();
        for (ServiceProcess s : services) byName.put(s.name(), s);
        byName.get("generator").stop(60);
        int agents = policies().size(), masked = voting() ? agents : 1; // THINK_REASON masks the Thinker; VOTING every voter
        awaitUpTo30s(() -> monitor.count("counterfactuals") >= masked * monitor.count("trajectories"));
        byName.get("counterfactual").stop(60);
        awaitUpTo30s(() -> monitor.count("advantages") >= agents * monitor.count("trajectories") // one per agent
                && (monitor.count("trajectories") == 0 || monitor.count("rollout-stats") > 0));
        com.fasterxml.jackson.databind.JsonNode creditStats = creditStats(creditHttpPort);
        com.fasterxml.jackson.databind.JsonNode c = creditStats.path("counters");
        out.printf("      credit statistics: %d groups left out of the global history (stats.excluded); %d late and %d after an"
                        + " idle close counted in a later window; %d groups credited%n", c.path("stats.excluded").asLong(-1),
                c.path("stats.late").asLong(0), c.path("stats.after-idle-close").asLong(0),
                c.path("groups.complete").asLong(0) + c.path("groups.incomplete").asLong(0));
        byName.get("credit").stop(60);
        byName.get("learner").stop(60);
        return creditStats;
    }

    /** The credit app's counters and statistics at the end of the run (its /stats), written to the report. */
    private com.fasterxml.jackson.databind.JsonNode creditStats(int creditHttpPort) throws InterruptedException {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + creditHttpPort + "/stats")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        } catch (java.io.IOException e) {
            out.println("      credit statistics: /stats unreadable: " + e.getMessage());
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }

    private static void awaitUpTo30s(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!done.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(250);
    }

    /** RL until the budget or max.versions; evaluates every eval.every versions. */
    private Rl train(List<ServiceProcess> services, PipelineMonitor monitor, WeightsFollower weights, Path model,
                       Evaluation eval, Map<Long, HeldOutEval.Result> evaluations, Runnable firstAdvantages) throws InterruptedException {
        long start = System.nanoTime();
        long budgetNanos = (long) (s.budgetMinutes() * 60e9);
        int maxVersions = s.maxVersions();
        int every = s.evalEvery();
        long lastEvaluated = 0, lastStatus = 0;
        boolean flowing = false;
        long steadyVersion = 0, steadyTrajectories = 0;
        double steadySeconds = -1;
        while (true) {
            for (ServiceProcess s : services) s.requireAlive();
            if (!flowing && monitor.count("advantages") > 0) {
                flowing = true;
                firstAdvantages.run();
            }
            long elapsed = System.nanoTime() - start;
            long version = Math.max(0, weights.latestVersion());
            if (steadySeconds < 0 && version >= 1) {
                steadySeconds = elapsed / 1e9;
                steadyVersion = version;
                steadyTrajectories = monitor.count("trajectories");
            }
            if (version >= lastEvaluated + every || (maxVersions > 0 && version >= maxVersions && version > lastEvaluated)) {
                Map<String, WeightsBlob> blobs = new java.util.LinkedHashMap<>();
                for (String policy : policies()) weights.newerThan(policy, lastEvaluated).ifPresent(b -> blobs.put(policy, b));
                if (blobs.size() == policies().size()) {
                    long v = blobs.values().stream().mapToLong(WeightsBlob::policyVersion).min().orElseThrow();
                    HeldOutEval.Result result = evaluate(model, eval, blobs);
                    evaluations.put(v, result);
                    lastEvaluated = v;
                    out.println("      " + describe(v, result));
                }
            }
            if (elapsed - lastStatus >= 10e9 || lastStatus == 0) {
                lastStatus = Math.max(1, elapsed);
                out.println("      " + status(monitor, version, elapsed, budgetNanos));
            }
            if (maxVersions > 0 && version >= maxVersions && lastEvaluated >= version)
                return rl(version, elapsed, monitor.count("trajectories"), steadyVersion, steadySeconds, steadyTrajectories);
            if (elapsed >= budgetNanos) {
                out.printf(Locale.ROOT, "      budget of %.1f minutes used; %d policy versions published%n", s.budgetMinutes(), version);
                return rl(version, elapsed, monitor.count("trajectories"), steadyVersion, steadySeconds, steadyTrajectories);
            }
            Thread.sleep(1000);
        }
    }

    private static Rl rl(long version, long elapsedNanos, long trajectories, long v0, double s0, long t0) {
        double seconds = elapsedNanos / 1e9;
        return new Rl(version, seconds, trajectories, SteadyState.between(v0, s0, t0, version, seconds, trajectories));
    }

    /** Held-out accuracy of a team given each policy's model (thinker and reasoner, or voter0, voter1, …). */
    interface Evaluation {
        HeldOutEval.Result evaluate(Map<String, CausalLM> models);
    }

    private Evaluation evaluation(PromptLibrary prompts, Verifier verifier) {
        int n = s.evalTasks(), maxNewTokens = s.maxNewTokens();
        if (voting()) {
            VotingEval voters = new VotingEval(tasks(), n, prompts, verifier, maxNewTokens);
            return voters::evaluate;
        }
        HeldOutEval thinkReason = new HeldOutEval(tasks(), n, prompts, verifier, maxNewTokens);
        return models -> thinkReason.evaluate(models.get(Roles.THINKER), models.get(Roles.REASONER));
    }

    /** The warm start's accuracy (v0): each voter's own checkpoint, or the one Think–Reason model in both seats. */
    private HeldOutEval.Result evaluateInitial(Path model, Map<String, Path> voterModels, Evaluation eval) {
        Map<String, CausalLM> models = new java.util.LinkedHashMap<>();
        try {
            for (String policy : policies()) models.put(policy, CausalLM.open(voterModels.getOrDefault(policy, model), Device.cpu()));
            return eval.evaluate(models);
        } finally {
            models.values().forEach(CausalLM::close);
        }
    }

    /** Held-out accuracy of published weights (each policy's own blob, loaded over model's config). */
    private static HeldOutEval.Result evaluate(Path model, Evaluation eval, Map<String, WeightsBlob> blobs) {
        Map<String, CausalLM> models = new java.util.LinkedHashMap<>();
        try {
            blobs.forEach((policy, blob) -> models.put(policy, CausalLM.open(model, Device.cpu(), blob.bytes())));
            return eval.evaluate(models);
        } finally {
            models.values().forEach(CausalLM::close);
        }
    }

    static String describe(long version, HeldOutEval.Result r) {
        if (!r.voters().isEmpty()) {
            StringBuilder voters = new StringBuilder();
            r.voters().forEach((policy, acc) -> voters.append(String.format(Locale.ROOT, " | %s alone %.3f", policy, acc)));
            return String.format(Locale.ROOT, "held-out v%d: team (majority) accuracy %.3f%s (%d tasks)", version, r.team(), voters, r.tasks());
        }
        return String.format(Locale.ROOT, "held-out v%d: team accuracy %.3f | Reasoner alone %.3f | Thinker's plan right %.3f | Thinker's contribution %+.3f (%d tasks)",
                version, r.team(), r.solo(), r.thinkerPlan(), r.thinkerContribution(), r.tasks());
    }

    private static String status(PipelineMonitor m, long version, long elapsedNanos, long budgetNanos) {
        double s = elapsedNanos / 1e9;
        Map<String, Long> c = m.counts();
        String rewards = m.read(v -> {
            double reward = Double.NaN, thinker = Double.NaN;
            for (PipelineMonitor.VersionStats vs : v.values()) {
                if (vs.trajectories > 0) reward = vs.meanReward();
                PipelineMonitor.RoleStats rs = vs.roles.get(Roles.THINKER);
                if (rs != null && rs.count > 0) thinker = rs.meanContribution();
            }
            // a voting team has no Thinker: its credit per voter is in the credit-quality part
            return Double.isNaN(thinker) ? String.format(Locale.ROOT, "reward %.2f", reward)
                    : String.format(Locale.ROOT, "reward %.2f, Thinker credit %+.2f", reward, thinker);
        });
        String credit = dev.ccpo.analytics.CreditQuality.summary(m.creditQuality());
        return String.format(Locale.ROOT, "rl %s/%s | policy v%d | trajectories %d (%.2f/s) counterfactuals %d advantages %d weights %d dlq %d | %s | %s | workers %s | %s",
                clock(s), clock(budgetNanos / 1e9), version, c.getOrDefault("trajectories", 0L), c.getOrDefault("trajectories", 0L) / Math.max(1, s),
                c.getOrDefault("counterfactuals", 0L), c.getOrDefault("advantages", 0L), c.getOrDefault("weights", 0L),
                c.getOrDefault("dlq", 0L), rewards, credit.isEmpty() ? "credit AUC -" : "credit " + credit, m.workerVersions(),
                StageLatency.describe(m.latency()));
    }

    private static String clock(double seconds) {
        return String.format(Locale.ROOT, "%d:%02d", (long) seconds / 60, (long) seconds % 60);
    }

    static Map<String, String> topics() {
        return Map.of("tasks", "ccpo.tasks", "trajectories", "ccpo.trajectories", "counterfactuals", "ccpo.counterfactuals",
                "advantages", "ccpo.advantages", "rollout-stats", "ccpo.rollout-stats", "weights", "ccpo.weights", "dlq", "ccpo.dlq");
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    static void deleteRecursively(Path dir) {
        if (!java.nio.file.Files.exists(dir)) return;
        try (var walk = java.nio.file.Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot clear " + dir, e);
        }
    }
}
