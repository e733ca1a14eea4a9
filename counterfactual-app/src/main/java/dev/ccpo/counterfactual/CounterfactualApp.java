package dev.ccpo.counterfactual;

import dev.ccpo.policy.model.TorchThreads;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.cli.Cli;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.kit.ModelWorker;
import dev.ccpo.kafka.TransactionalWorker;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.worker.RolePolicies;
import dev.ccpo.worker.ValueDomains;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Counterfactual worker: trajectories in, one CounterfactualOutcome per (trajectory, masked agent) out, exactly once. */
public final class CounterfactualApp {
    public static final String GROUP = "ccpo-counterfactual";

    public static ConfigSpec spec() {
        return TorchThreads.addKeys(CommonKeys.spec("counterfactual")
                .string("worker.id", "cf-1", "Unique id of this instance; names its transactional id (ccpo-counterfactual-<id>).")
                .integer("counterfactual.samples", 1, 1, 1024, "K: Reasoner-alone re-runs per trajectory (THINK_REASON); the reference uses 1 per joint sample.")
                .decimal("temperature", 1.0, 0.0, 10.0, "Sampling temperature of the re-runs.")
                .decimal("top.p", 1.0, 0.0, 1.0, "Nucleus top-p of the re-runs.")
                .integer("max.new.tokens", 256, 1, 65_536, "Max tokens of a re-run answer.")
                .integer("max.prompt.tokens", 4096, 1, 1_000_000, "A trajectory whose re-run prompt (chat template applied) is longer is dead-lettered before any tensor is allocated.")
                .longKey("generation.time.limit.ms", 600_000L, 0L, "A re-run still sampling after this long fails its trajectory, which is dead-lettered (0 = no limit).")
                .longKey("seed", 0L, Long.MIN_VALUE, "Base seed; each trajectory's seed derives from it and the trajectoryId.")
                .string("model.dir", "", "Base checkpoint folder (config.json, tokenizer, safetensors). Required.")
                .string("model.id", "", "Identifies the base model; weights for another model id are refused. Required.")
                .string("prompts.dir", "", "Folder of prompt templates (<name>.txt) overriding the built-in ones; empty = built-in.")
                .string("device", "auto", "DJL device: auto (CUDA when present), cpu, cuda or cuda:N.")
                .bool("weights.follow", true, "Follow the weights topic; swap between polls.")
                .integer("weights.keep.versions", 2, 1, 64, "Weight versions kept per role, to re-run with the trajectory's own version.")
                .integer("max.poll.records", 8, 1, 10_000, "Trajectories per transaction, re-run in one batched call; keep their work well under transaction.timeout.ms.")
                .integer("transaction.timeout.ms", 300_000, 1000, 900_000, "Producer transaction timeout."), 1);
    }

    public static void main(String[] args) throws Exception {
        ModelWorker w = ModelWorker.start("counterfactual", spec(), args);
        Config cfg = w.config();
        String workerId = w.workerId();
        RecordSerdes serdes = w.serdes();

        // Only the Reasoner (THINK_REASON) ever runs here; VOTING needs no model.
        RolePolicies<ChatModel> policies = w.policies(TeamSpec.thinkReason().policyKeys(), role -> w.modelDir(),
                cfg.integer("weights.keep.versions"));
        int vocab = policies.current(policies.roles().iterator().next()).model().vocabSize();
        WeightsFollower follower = w.follower();

        try (Verifier verifier = new Verifier()) {
            CounterfactualComputer computer = new CounterfactualComputer(policies, w.prompts(), verifier, w.sampling(),
                    cfg.integer("counterfactual.samples"), cfg.longValue("seed"), workerId);
            CounterfactualHandler handler = new CounterfactualHandler(computer, policies,
                    follower == null ? null : follower::newerThan, serdes.counterfactual(), cfg.string(CommonKeys.TOPIC_COUNTERFACTUALS), vocab,
                    ValueDomains.from(cfg));
            TransactionalWorker<Trajectory> worker = new TransactionalWorker<>(w.kafka(), GROUP, workerId,
                    cfg.string(CommonKeys.TOPIC_TRAJECTORIES), serdes.trajectory().deserializer(), handler,
                    cfg.string(CommonKeys.TOPIC_DLQ), serdes.deadLetter(), cfg.integer("max.poll.records"),
                    cfg.integer("transaction.timeout.ms"));
            Progress progress = new Progress("counterfactual " + workerId, "trajectories", -1, 5000, System.out);
            long start = System.nanoTime();
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            ticker.scheduleAtFixedRate(() -> {
                double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
                progress.update(worker.processed(), String.format("%.2f traj/s, %.2f outcomes/s, %d dead-lettered, policy v%d",
                        worker.processed() / s, worker.produced() / s, worker.deadLettered(), policies.version()));
            }, 5, 5, TimeUnit.SECONDS);
            Thread runner = new Thread(() -> {
                try {
                    worker.run();
                } catch (RuntimeException e) {
                    // The batch was aborted and the clients closed; exit non-zero so the restart resumes from the
                    // last commit. halt, not exit: exit would wait for the shutdown hook, which joins this thread.
                    System.err.println("counterfactual worker failed: " + e);
                    Runtime.getRuntime().halt(1);
                }
            }, "counterfactual-worker");
            runner.start();
            // SIGTERM: the batch in progress is finished and committed, then the clients close.
            Cli.awaitShutdown(() -> {
                worker.stop();
                try { runner.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                ticker.shutdownNow();
                if (follower != null) follower.close();
                policies.close();
            });
        }
    }
}
