package dev.ccpo.credit;

import dev.ccpo.avro.CreditMode;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;

/** Typed settings of the credit service; the topology reads only this, never Config. */
public record CreditSettings(String applicationId, String trajectoriesTopic, String counterfactualsTopic,
                             String advantagesTopic, String statsTopic, String dlqTopic, CreditMode mode,
                             long groupGraceMs, double alpha, double eta, double historyDecay,
                             long punctuateMs, int httpPort, String httpBind) {

    public static final String APPLICATION_ID = "application.id";
    public static final String CREDIT_MODE = "credit.mode";
    public static final String GROUP_GRACE_MS = "group.grace.ms";
    public static final String ALPHA = "credit.alpha";
    public static final String ETA = "credit.eta";
    public static final String HISTORY_DECAY = "history.decay";
    public static final String PUNCTUATE_MS = "punctuate.ms";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_BIND = "http.bind";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String AUTO_OFFSET_RESET = "auto.offset.reset";

    public static ConfigSpec spec() {
        return CommonKeys.spec("credit-stream-app")
                .string(APPLICATION_ID, "ccpo-credit", "Kafka Streams application id (a new id replays from the start).")
                .choice(CREDIT_MODE, "ccpo", "Credit rule: ccpo, ccpo-bonus or shared (shared/ccpo.md).", "ccpo", "ccpo-bonus", "shared")
                .longKey(GROUP_GRACE_MS, 300_000L, 1L, "How long (stream time or wall clock) a group may stay incomplete before it is emitted with what it has (groupComplete=false) or dead-lettered.")
                .decimal(ALPHA, 1.0, 0.0, 100.0, "alpha in tanh(alpha * z) for Thinker and voter rewards.")
                .decimal(ETA, 1.0, 0.0, 100.0, "eta in the Reasoner gate sigmoid(eta * mu_Delta / (sigma_Delta + eps)).")
                .decimal(HISTORY_DECAY, 0.99, 0.0, 1.0, "EMA decay of the global history per completed group (batch).")
                .longKey(PUNCTUATE_MS, 1_000L, 10L, "Wall-clock period of the grace-period check.")
                .integer(HTTP_PORT, 8088, 0, 65535, "Port of the HTTP statistics server (0 = disabled).")
                .string(HTTP_BIND, "127.0.0.1", "Address the HTTP statistics server binds to.")
                .choice(PROCESSING_GUARANTEE, "exactly_once_v2", "Kafka Streams processing guarantee.", "exactly_once_v2", "at_least_once")
                .choice(AUTO_OFFSET_RESET, "earliest", "Where a fresh application id starts.", "earliest", "latest");
    }

    public static CreditSettings from(Config c) {
        return new CreditSettings(c.string(APPLICATION_ID), c.string(CommonKeys.TOPIC_TRAJECTORIES),
                c.string(CommonKeys.TOPIC_COUNTERFACTUALS), c.string(CommonKeys.TOPIC_ADVANTAGES),
                c.string(CommonKeys.TOPIC_ROLLOUT_STATS), c.string(CommonKeys.TOPIC_DLQ), parseMode(c.string(CREDIT_MODE)),
                c.longValue(GROUP_GRACE_MS), c.decimal(ALPHA), c.decimal(ETA), c.decimal(HISTORY_DECAY),
                c.longValue(PUNCTUATE_MS), c.integer(HTTP_PORT), c.string(HTTP_BIND));
    }

    public static CreditMode parseMode(String s) {
        return switch (s) {
            case "ccpo" -> CreditMode.CCPO;
            case "ccpo-bonus" -> CreditMode.CCPO_BONUS;
            case "shared" -> CreditMode.SHARED;
            default -> throw new IllegalArgumentException(CREDIT_MODE + ": expected ccpo, ccpo-bonus or shared, got " + s);
        };
    }
}
