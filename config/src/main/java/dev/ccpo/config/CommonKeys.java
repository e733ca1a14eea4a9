package dev.ccpo.config;

/** Keys every service has: where the cluster and the registry are, and the topic names (defaults as in docs/contract.md). */
public final class CommonKeys {
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String REGISTRY_URL = "schema.registry.url";
    public static final String REGISTRY_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String TOPIC_TASKS = "topic.tasks";
    public static final String TOPIC_TRAJECTORIES = "topic.trajectories";
    public static final String TOPIC_COUNTERFACTUALS = "topic.counterfactuals";
    public static final String TOPIC_ROLLOUT_STATS = "topic.rollout-stats";
    public static final String TOPIC_ADVANTAGES = "topic.advantages";
    public static final String TOPIC_WEIGHTS = "topic.weights";
    public static final String TOPIC_DLQ = "topic.dlq";
    public static final String STARTUP_TIMEOUT_MS = "startup.timeout.ms";
    public static final String REWARD_MIN = "reward.min", REWARD_MAX = "reward.max";

    private CommonKeys() { }

    /** A spec for the named service with the common keys already in it. */
    public static ConfigSpec spec(String service) {
        ConfigSpec spec = new ConfigSpec(service)
                .string(BOOTSTRAP_SERVERS, "localhost:9092", "Kafka bootstrap servers, host:port[,host:port...].")
                .string(REGISTRY_URL, "http://localhost:8081", "Confluent-compatible schema registry URL.")
                .string(REGISTRY_USER_INFO, "", "user:password for the registry's HTTP basic auth; empty for none.")
                .string(TOPIC_TASKS, "ccpo.tasks", "Topic of Task records.")
                .string(TOPIC_TRAJECTORIES, "ccpo.trajectories", "Topic of Trajectory records.")
                .string(TOPIC_COUNTERFACTUALS, "ccpo.counterfactuals", "Topic of CounterfactualOutcome records.")
                .string(TOPIC_ROLLOUT_STATS, "ccpo.rollout-stats", "Topic of windowed RolloutStats records.")
                .string(TOPIC_ADVANTAGES, "ccpo.advantages", "Topic of AgentAdvantage records.")
                .string(TOPIC_WEIGHTS, "ccpo.weights", "Topic of PolicyWeights records (compacted).")
                .string(TOPIC_DLQ, "ccpo.dlq", "Dead-letter topic: records that could not be processed, with the reason.")
                .longKey(STARTUP_TIMEOUT_MS, 15_000L, 1L, "At start-up, how long to wait for the Kafka cluster at bootstrap.servers before failing (exit 1) with an error naming it.")
                // The reward domain (dev.ccpo.worker.ValueDomains reads it).
                .decimal(REWARD_MIN, 0.0, -1e6, 1e6, "Smallest valid reward (Trajectory.reward, counterfactual rewards); a record outside [reward.min, reward.max] is dead-lettered.")
                .decimal(REWARD_MAX, 1.0, -1e6, 1e6, "Largest valid reward; the verifier's rewards are 0 or 1.");
        return spec;
    }
}
