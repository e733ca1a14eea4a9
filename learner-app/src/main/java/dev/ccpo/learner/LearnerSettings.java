package dev.ccpo.learner;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.policy.model.PolicyDirs;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The learner's settings, read once from the {@link Config} at start-up (the keys, defaults and docs are declared in
 * {@link LearnerKeys}); the rest of the learner never looks a key up by name.
 */
public record LearnerSettings(
        List<String> roles, Sharing sharing, String device,
        String modelDir, Map<String, Path> policyDirs, String modelId, long seed,
        AdamW.Settings optimizer, PpoLoss.Settings loss, int microBatchSize, float temperature,
        int batchGroups, long maxPolicyLag, long maxSteps, int alternateSteps,
        int publishEvery, long weightsInlineMaxBytes, Path weightsDir,
        Path checkpointDir, int checkpointEvery, int checkpointKeep,
        Kafka kafka) {

    /** policy.sharing: one model per role, or one for all roles. */
    public enum Sharing {
        PER_ROLE, SHARED;

        static Sharing parse(String word) {
            return switch (word) {
                case "per-role" -> PER_ROLE;
                case "shared" -> SHARED;
                default -> throw new IllegalArgumentException("policy.sharing must be per-role or shared, got " + word);
            };
        }
    }

    /** Where the learner reads and writes, and as whom. */
    public record Kafka(String bootstrapServers, Map<String, Object> clientProperties, String groupId,
                        String transactionalId, String advantagesTopic, String weightsTopic, String dlqTopic) { }

    public LearnerSettings {
        roles = List.copyOf(roles);
        if (roles.isEmpty()) throw new IllegalArgumentException("roles must name at least one role");
        policyDirs = Map.copyOf(policyDirs);
    }

    public static LearnerSettings from(Config c) {
        List<String> roles = Arrays.stream(c.string("roles").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        String modelDir = c.string("model.dir");
        return new LearnerSettings(roles, Sharing.parse(c.string("policy.sharing")), c.string("device"),
                modelDir, PolicyDirs.parse(c.string(PolicyDirs.KEY)), modelId(c.string("model.id"), modelDir), c.longValue("seed"),
                LearnerKeys.optimizer(c), LearnerKeys.loss(c), c.integer("micro.batch.size"), (float) c.decimal("temperature"),
                c.integer("batch.groups"), c.longValue("max.policy.lag"), c.longValue("max.steps"), c.integer("alternate.steps"),
                c.integer("publish.every"), c.longValue("weights.inline.max.bytes"), Paths.get(c.string("weights.dir")),
                Paths.get(c.string("checkpoint.dir")), c.integer("checkpoint.every"), c.integer("checkpoint.keep"),
                new Kafka(c.string(CommonKeys.BOOTSTRAP_SERVERS), c.kafkaClientProperties(), c.string("group.id"),
                        c.string("transactional.id"), c.string(CommonKeys.TOPIC_ADVANTAGES), c.string(CommonKeys.TOPIC_WEIGHTS),
                        c.string(CommonKeys.TOPIC_DLQ)));
    }

    /** model.id, else model.dir's folder name, else "tiny". */
    static String modelId(String id, String modelDir) {
        if (!id.isBlank()) return id;
        return modelDir.isBlank() ? "tiny" : Paths.get(modelDir).getFileName().toString();
    }

    public boolean shared() { return sharing == Sharing.SHARED; }
}
