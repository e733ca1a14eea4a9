package dev.ccpo.generator;

import dev.ccpo.policy.model.PolicyDirs;
import dev.ccpo.policy.model.TorchThreads;
import dev.ccpo.cli.Progress;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.kit.ModelWorker;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.policy.team.Topology;
import dev.ccpo.serde.DeadLetterPublisher;
import dev.ccpo.serde.RecordSerdes;
import dev.ccpo.weights.WeightsFollower;
import dev.ccpo.worker.RolePolicies;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** Rollout generator: tasks in, GRPO groups of Trajectory records out. Keys: generator-app/README.md. */
public final class GeneratorApp {

    public static ConfigSpec spec() {
        return TorchThreads.addKeys(CommonKeys.spec("generator")
                .string("worker.id", "gen-1", "Unique id of this generator; part of every groupId and the client ids.")
                .string("task.source", "synthetic", "'topic' (the tasks topic, group ccpo-generator), 'synthetic' (arithmetic tasks) or a dataset file path (DatasetLoader).")
                .integer("epochs", 1, 1, 1_000_000, "Passes over a finite task list (synthetic or file).")
                .longKey("shuffle.seed", 0L, Long.MIN_VALUE, "Seed of each epoch's shuffle (seed + epoch).")
                .integer("synthetic.count", 1000, 1, 100_000_000, "Number of synthetic arithmetic tasks.")
                .integer("synthetic.steps", 2, 1, 16, "Operations per synthetic arithmetic task.")
                .choice("topology", "THINK_REASON", "Team topology.", "THINK_REASON", "VOTING")
                .integer("voters", 3, 1, 64, "Voters for the VOTING topology.")
                .choice("voting.policies", "shared", "VOTING: one policy for all voters (weights role 'voter'), or per-voter: voter k samples with its own policy (weights role 'voter<k>'; run the learner with --roles=voter0,voter1,...).", "shared", "per-voter")
                .integer("group.size", 8, 1, 1024, "G: rollouts per task (one GRPO group).")
                .decimal("temperature", 1.0, 0.0, 10.0, "Sampling temperature.")
                .decimal("top.p", 1.0, 0.0, 1.0, "Nucleus sampling top-p.")
                .integer("max.new.tokens", 256, 1, 65_536, "Max generated tokens per turn.")
                .bool("stop.when.truncated", true, "A turn that hits max.new.tokens ends its episode: later agents get an empty turn and the reward is 0 (reference stop_when_truncated); the turn is marked truncated.")
                .integer("max.prompt.tokens", 4096, 1, 1_000_000, "A task whose prompt (chat template applied) is longer is dead-lettered before any tensor is allocated.")
                .longKey("generation.time.limit.ms", 600_000L, 0L, "A model call still sampling after this long fails its task, which is dead-lettered (0 = no limit).")
                .longKey("seed", 0L, Long.MIN_VALUE, "Base sampling seed; group seeds derive from it and the groupId.")
                .string("model.dir", "", "Base checkpoint folder (config.json, tokenizer, safetensors). Required.")
                .string("model.id", "", "Identifies the base model; weights records for another model id are refused. Required.")
                .string(PolicyDirs.KEY, "", PolicyDirs.DESCRIPTION)
                .string("prompts.dir", "", "Folder of prompt templates (<name>.txt) overriding the built-in ones; empty = built-in.")
                .string("device", "auto", "DJL device: auto (CUDA when present), cpu, cuda or cuda:N.")
                .bool("weights.follow", true, "Follow the weights topic and swap to newer weights between groups.")
                .integer("groups.per.version", 8, 1, 1_000_000, "Groups the learner consumes per policy version (for staleness).")
                .integer("max.policy.lag", 2, 0, 1_000_000, "Max versions the data may run ahead of the latest published policy.")
                .choice("compression.type", "lz4", "Producer compression.", "lz4", "zstd")
                .integer("linger.ms", 20, 0, 60_000, "Producer linger: batches a group's trajectories together.")
                .integer("batch.size", 262_144, 1024, 16_777_216, "Producer batch size in bytes.")
                .integer("max.request.size", 8_388_608, 1024, 104_857_600, "Producer max request size in bytes."), 1);
    }

    /** The team of the config: THINK_REASON, or VOTING with voters sharing one policy or each with its own. */
    static TeamSpec team(Config cfg) {
        return Topology.valueOf(cfg.string("topology")) == Topology.THINK_REASON ? TeamSpec.thinkReason()
                : TeamSpec.voting(cfg.integer("voters"), cfg.string("voting.policies").equals("per-voter"));
    }

    public static void main(String[] args) throws Exception {
        ModelWorker w = ModelWorker.start("generator", spec(), args);
        Config cfg = w.config();
        String workerId = w.workerId();
        RecordSerdes serdes = w.serdes();
        Map<String, Object> kafka = w.kafka();

        TeamSpec team = team(cfg);
        Map<String, Path> ownDirs = PolicyDirs.parse(cfg.string(PolicyDirs.KEY));
        // One version kept: each new version is written into the role's model in place, between groups.
        RolePolicies<ChatModel> policies = w.policies(team.policyKeys(), role -> PolicyDirs.of(ownDirs, role, w.modelDir()), 1);
        WeightsFollower follower = w.follower();
        GeneratorLoop.VersionSource versions = follower == null ? GeneratorLoop.NONE : new GeneratorLoop.VersionSource() {
            public java.util.Optional<dev.ccpo.weights.WeightsBlob> newerThan(String role, long v) { return follower.newerThan(role, v); }
            public long latestVersion() { return follower.latestVersion(); }
            public long awaitVersion(long atLeast, Duration t) throws InterruptedException { return follower.awaitVersion(atLeast, t); }
            public long refused() { return follower.refused(); }
        };

        try (Verifier verifier = new Verifier();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(cfg, kafka, workerId),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            // Refused task records go to the DLQ on this producer, so they are flushed before the task offsets are committed.
            DeadLetterPublisher dlq = new DeadLetterPublisher(producer, serdes.deadLetter(), cfg.string(CommonKeys.TOPIC_DLQ), "generator-" + workerId);
            TaskSource source = source(cfg, kafka, serdes, dlq, workerId);
            GroupGenerator gen = new GroupGenerator(new TeamRunner(team, w.prompts(), verifier, cfg.bool("stop.when.truncated")), workerId,
                    cfg.integer("group.size"), w.sampling(), cfg.longValue("seed"));
            GeneratorLoop loop = new GeneratorLoop(source, gen, policies, versions, producer, serdes.trajectory(),
                    cfg.string(CommonKeys.TOPIC_TRAJECTORIES), cfg.integer("groups.per.version"), cfg.integer("max.policy.lag"),
                    new Progress("generator " + workerId, "groups", -1, 5000, System.out));
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                loop.stop(); // the group in progress finishes and is flushed
                try { finished.await(); } catch (InterruptedException ignored) { Thread.currentThread().interrupt(); }
            }, "generator-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                long groups = loop.run();
                System.out.printf("generator %s: %d groups, %d trajectories, %d tokens%n", workerId, groups, loop.trajectories(), loop.tokens());
            } finally {
                finished.countDown();
                source.close();
                if (follower != null) follower.close();
                policies.close();
            }
        }
    }

    static TaskSource source(Config cfg, Map<String, Object> kafka, RecordSerdes serdes, DeadLetterPublisher dlq, String workerId) {
        return switch (cfg.string("task.source")) {
            case "topic" -> new TopicTaskSource(kafka, cfg.string(CommonKeys.TOPIC_TASKS), serdes.task(), dlq, workerId);
            case "synthetic" -> TaskSource.ofList(TaskSource.synthetic(cfg.longValue("shuffle.seed"), cfg.integer("synthetic.count"),
                    cfg.integer("synthetic.steps")), cfg.integer("epochs"), cfg.longValue("shuffle.seed"));
            default -> TaskSource.ofList(TaskSource.fromFile(Path.of(cfg.string("task.source"))), cfg.integer("epochs"),
                    cfg.longValue("shuffle.seed"));
        };
    }

    static Map<String, Object> producerProps(Config cfg, Map<String, Object> kafka, String workerId) {
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, workerId + "-trajectories");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true); // broker-side dedup of retried batches
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // One request in flight: with more, a first batch refused NOT_LEADER_OR_FOLLOWER (a new partition, a leader
        // moving) can be overtaken by the next one, which the broker accepts from a producer id it does not know yet;
        // the first batch is then refused as out of order until delivery.timeout.ms (KAFKA-15591; LocalCluster#awaitLeaders).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, cfg.string("compression.type"));
        p.put(ProducerConfig.LINGER_MS_CONFIG, cfg.integer("linger.ms"));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, cfg.integer("batch.size"));
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, cfg.integer("max.request.size"));
        return p;
    }
}
