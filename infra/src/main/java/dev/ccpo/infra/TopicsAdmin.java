package dev.ccpo.infra;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates the topics of docs/contract.md idempotently. Retention: tasks, trajectories, counterfactuals,
 * advantages 7 days (replayable for debugging and a restarted learner); rollout-stats 1 day (one
 * partition so windows are global); weights compacted (only the latest version per agent matters,
 * 8 MiB records for chunked weights); dlq 30 days (a human reads it).
 */
public final class TopicsAdmin {
    public static final int DEFAULT_PARTITIONS = 4;
    private static final String WEEK_MS = String.valueOf(7L * 24 * 3600 * 1000);

    /** Production defaults: every partition on 3 brokers, and a write is acknowledged once 2 have it. */
    public static final short DEFAULT_REPLICATION_FACTOR = 3;
    public static final int DEFAULT_MIN_INSYNC_REPLICAS = 2;

    public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) { }

    private TopicsAdmin() { }

    /**
     * The topics for the names in config (CommonKeys topic.* keys), each with {@code replicationFactor} replicas and
     * {@code minInsyncReplicas} (production: {@link #DEFAULT_REPLICATION_FACTOR}, {@link #DEFAULT_MIN_INSYNC_REPLICAS};
     * a single broker: 1 and 1).
     */
    public static List<TopicSpec> specs(Config config, int partitions, short replicationFactor, int minInsyncReplicas) {
        if (minInsyncReplicas > replicationFactor)
            throw new IllegalArgumentException("min.insync.replicas " + minInsyncReplicas + " exceeds the replication factor " + replicationFactor
                    + ": no write could ever be acknowledged");
        String minIsr = String.valueOf(minInsyncReplicas);
        List<TopicSpec> out = new ArrayList<>();
        for (String key : List.of(CommonKeys.TOPIC_TASKS, CommonKeys.TOPIC_TRAJECTORIES, CommonKeys.TOPIC_COUNTERFACTUALS,
                CommonKeys.TOPIC_ADVANTAGES))
            out.add(new TopicSpec(config.string(key), partitions, replicationFactor, Map.of("retention.ms", WEEK_MS, "min.insync.replicas", minIsr)));
        // records carry their window's event time; append time keeps retention about when they were written
        out.add(new TopicSpec(config.string(CommonKeys.TOPIC_ROLLOUT_STATS), 1, replicationFactor, Map.of("retention.ms", String.valueOf(24L * 3600 * 1000),
                "message.timestamp.type", "LogAppendTime", "min.insync.replicas", minIsr)));
        out.add(new TopicSpec(config.string(CommonKeys.TOPIC_WEIGHTS), partitions, replicationFactor,
                Map.of("cleanup.policy", "compact", "max.message.bytes", "8388608", "min.insync.replicas", minIsr)));
        out.add(new TopicSpec(config.string(CommonKeys.TOPIC_DLQ), partitions, replicationFactor,
                Map.of("retention.ms", String.valueOf(30L * 24 * 3600 * 1000), "min.insync.replicas", minIsr)));
        return out;
    }

    /** Creates each topic that does not exist yet; returns the names created. */
    public static List<String> createAll(Map<String, Object> adminProps, List<TopicSpec> specs) {
        List<String> created = new ArrayList<>();
        try (Admin admin = Admin.create(new LinkedHashMap<>(adminProps))) {
            for (TopicSpec s : specs) {
                try {
                    admin.createTopics(List.of(new NewTopic(s.name(), s.partitions(), s.replicationFactor()).configs(s.configs())))
                            .all().get(60, TimeUnit.SECONDS);
                    created.add(s.name());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException))
                        throw new IllegalStateException("cannot create topic " + s.name() + ": " + e.getCause(), e);
                }
            }
            awaitVisible(admin, specs.stream().map(TopicSpec::name).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating topics on " + adminProps.get("bootstrap.servers"), e);
        }
        return created;
    }

    /** createTopics returns once the controller has the topic; wait until the broker's metadata lists it too. */
    static void awaitVisible(Admin admin, List<String> names) throws InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            try {
                if (admin.listTopics().names().get(10, TimeUnit.SECONDS).containsAll(names)) return;
            } catch (ExecutionException e) {
                // transient: retry until the deadline
            }
            if (System.currentTimeMillis() > deadline)
                throw new java.util.concurrent.TimeoutException("topics " + names + " not visible in metadata after 30 s");
            Thread.sleep(100);
        }
    }
}
