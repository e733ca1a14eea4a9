package dev.ccpo.credit;

import dev.ccpo.avro.CreditMode;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import dev.ccpo.config.ConfigSpec;

import java.util.List;
import dev.ccpo.worker.ValueDomains;

/** Typed settings of the credit service; the topology reads only this, never Config. */
public record CreditSettings(String applicationId, String trajectoriesTopic, String counterfactualsTopic,
                             String advantagesTopic, String statsTopic, String dlqTopic, CreditMode mode,
                             long groupGraceMs, double alpha, double eta, double historyDecay, long warmupSamples,
                             boolean maskTruncated, long punctuateMs, int httpPort, String httpBind, Stats stats,
                             ValueDomains domains, Release release) {

    /**
     * When a complete group's advantages leave. WINDOW: once the statistics window before the group's own has closed
     * (the group is normalized with the history as of its window: output values depend only on the input, so
     * replays are byte-identical). ON_COMPLETE: as soon as the group is complete, with the newest closed history
     * the app holds then (lowest latency; which history that is depends on timing, recorded in each advantage's
     * historyCount, globalMean and globalStd).
     */
    public enum Release { WINDOW, ON_COMPLETE }

    /**
     * Windowed global statistics: tumbling event-time windows, closed on the stats watermark (the minimum
     * over the input partitions of their stream time) past windowEnd + graceMs; history ema or hopping.
     * inputPartitions 0 means "ask the broker at start-up" (CreditStreamApp does; the topology needs a number).
     */
    public record Stats(long windowMs, long graceMs, String history, int historyWindows, int batchGroups,
                        long maxWaitMs, long dedupRetentionMs, int inputPartitions) {
        public Stats {
            if (!history.equals("ema") && !history.equals("hopping"))
                throw new IllegalArgumentException(HISTORY + ": expected ema or hopping, got " + history);
        }

        public Stats withInputPartitions(int n) {
            return new Stats(windowMs, graceMs, history, historyWindows, batchGroups, maxWaitMs, dedupRetentionMs, n);
        }

        public long windowStart(long eventTimeMs) { return Math.floorDiv(eventTimeMs, windowMs) * windowMs; }

        /** The end of the last window a watermark lets close (its end + graceMs passed): windows close through it. */
        public long closableThrough(long watermarkMs) { return windowStart(watermarkMs - graceMs); }
    }

    public CreditSettings withStats(Stats st) {
        return new CreditSettings(applicationId, trajectoriesTopic, counterfactualsTopic, advantagesTopic, statsTopic,
                dlqTopic, mode, groupGraceMs, alpha, eta, historyDecay, warmupSamples, maskTruncated, punctuateMs, httpPort,
                httpBind, st, domains, release);
    }

    /**
     * EMA decay for a closed window holding {@code groups} groups of a role: the window stands for
     * groups / history.batch.groups learner batches, so the decay is history.decay per batch whatever the
     * window length: history.decay ^ (groups / history.batch.groups).
     */
    public double windowDecay(long groups) { return Math.pow(historyDecay, (double) groups / stats.batchGroups()); }

    /** The settings of the credit rule (CreditRule). */
    public CreditRule.Settings rule() { return new CreditRule.Settings(mode, alpha, eta, warmupSamples, maskTruncated); }

    public static final String APPLICATION_ID = "application.id";
    public static final String CREDIT_MODE = "credit.mode";
    public static final String GROUP_GRACE_MS = "group.grace.ms";
    public static final String ALPHA = "credit.alpha";
    public static final String ETA = "credit.eta";
    public static final String HISTORY_DECAY = "history.decay";
    public static final String STATS_WINDOW_MS = "stats.window.ms";
    public static final String STATS_GRACE_MS = "stats.window.grace.ms";
    public static final String HISTORY = "history";
    public static final String HISTORY_WINDOWS = "history.windows";
    public static final String HISTORY_BATCH_GROUPS = "history.batch.groups";
    public static final String HISTORY_WARMUP = "history.warmup.samples";
    public static final String MASK_TRUNCATED = "credit.mask.truncated";
    public static final String HISTORY_MAX_WAIT_MS = "history.max.wait.ms";
    public static final String DEDUP_RETENTION_MS = "dedup.retention.ms";
    public static final String INPUT_PARTITIONS = "input.partitions";
    public static final String PUNCTUATE_MS = "punctuate.ms";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_BIND = "http.bind";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String AUTO_OFFSET_RESET = "auto.offset.reset";
    public static final String REPLAY = "replay";
    public static final String RELEASE = "credit.release";
    /** The live pipeline's application id: a replay must have its own. */
    public static final String LIVE_APPLICATION_ID = "ccpo-credit";

    public static ConfigSpec spec() {
        return CommonKeys.spec("credit-stream-app")
                .string(APPLICATION_ID, LIVE_APPLICATION_ID, "Kafka Streams application id (a new id replays from the start).")
                .bool(REPLAY, false, "A replay: its outputs (advantages, dlq, rollout-stats) go to topics named <live topic>.<application.id> unless topic.* names others, created if missing; never the live ones; application.id must not be ccpo-credit.")
                .choice(RELEASE, "window", "When a complete group's advantages leave: window (once the statistics window before its own has closed; deterministic, byte-identical replays) or on-complete (at once, with the newest closed history; lowest latency, for live training).", "window", "on-complete")
                .choice(CREDIT_MODE, "ccpo", "Credit rule: ccpo, ccpo-bonus or shared (docs/algorithm.md).", "ccpo", "ccpo-bonus", "shared")
                .longKey(GROUP_GRACE_MS, 300_000L, 1L, "How long (stream time or wall clock) a group may stay incomplete before it is emitted with what it has (groupComplete=false) or dead-lettered.")
                .decimal(ALPHA, 1.0, 0.0, 100.0, "alpha in tanh(alpha * z) for Thinker and voter rewards.")
                .decimal(ETA, 1.0, 0.0, 100.0, "eta in the Reasoner gate sigmoid(eta * mu_Delta / (sigma_Delta + eps)).")
                .decimal(HISTORY_DECAY, 0.99, 0.0, 1.0, "EMA decay of the global history per learner batch; a closed window holding n groups decays it by decay^(n / history.batch.groups).")
                .integer(HISTORY_BATCH_GROUPS, 16, 1, 1_000_000, "Groups in one learner batch (the learner's batch.groups): a window of n groups stands for n / this batches.")
                .longKey(HISTORY_WARMUP, CreditMath.WARMUP, 0L, "Below this many history samples the ccpo shaping is skipped: the Thinker's (voter's) r is the raw Delta (c), the Reasoner's the raw R_joint; no tanh, no gate (reference min_samples).")
                .bool(MASK_TRUNCATED, true, "Every agent's shaped reward of an episode with a truncated turn (length limit) is 0 before group normalization (reference mask_unfinished_reward).")
                .longKey(STATS_WINDOW_MS, 60_000L, 1L, "Tumbling event-time window of the global statistics (event time = a group's max trajectory createdAtMs).")
                .longKey(STATS_GRACE_MS, 10_000L, 0L, "A window closes when every input partition's stream time passes windowEnd + this; later signals are late (counted, not in the stats).")
                .choice(HISTORY, "ema", "Global history over closed windows: ema (decayed, in window order) or hopping (pooled over the last history.windows windows).", "ema", "hopping")
                .integer(HISTORY_WINDOWS, 10, 1, 100_000, "Closed windows pooled by history=hopping.")
                .longKey(HISTORY_MAX_WAIT_MS, 0L, 0L, "Wall-clock fallback (0 = 2 x stats.window.ms): when the stats have not advanced for this long, a held group is emitted with the history available and an input partition silent this long stops holding windows open; logged and counted.")
                .longKey(DEDUP_RETENTION_MS, 0L, 0L, "Stream time an emitted group id is remembered to dead-letter late/duplicate records (0 = 2 x group.grace.ms).")
                .integer(INPUT_PARTITIONS, 0, 0, 100_000, "Partitions of the input topics (0 = ask the broker at start-up).")
                .longKey(PUNCTUATE_MS, 0L, 0L, "Wall-clock period of the checks for what no record triggers: held groups whose statistics arrived leave (a finished input's last groups leave on it), the grace and idle fallbacks (0 = 1000 ms, or 100 ms for a replay; else >= 10).")
                .integer(HTTP_PORT, 8088, 0, 65535, "Port of the HTTP statistics server (0 = disabled).")
                .string(HTTP_BIND, "127.0.0.1", "Address the HTTP statistics server binds to.")
                .choice(PROCESSING_GUARANTEE, "exactly_once_v2", "Kafka Streams processing guarantee.", "exactly_once_v2", "at_least_once")
                .choice(AUTO_OFFSET_RESET, "earliest", "Where a fresh application id starts.", "earliest", "latest");
    }

    public static CreditSettings from(Config c) {
        return new CreditSettings(c.string(APPLICATION_ID), c.string(CommonKeys.TOPIC_TRAJECTORIES),
                c.string(CommonKeys.TOPIC_COUNTERFACTUALS), output(c, CommonKeys.TOPIC_ADVANTAGES),
                output(c, CommonKeys.TOPIC_ROLLOUT_STATS), output(c, CommonKeys.TOPIC_DLQ), parseMode(c.string(CREDIT_MODE)),
                c.longValue(GROUP_GRACE_MS), c.decimal(ALPHA), c.decimal(ETA), c.decimal(HISTORY_DECAY),
                c.longValue(HISTORY_WARMUP), c.bool(MASK_TRUNCATED), punctuateMs(c), c.integer(HTTP_PORT), c.string(HTTP_BIND), new Stats(c.longValue(STATS_WINDOW_MS),
                c.longValue(STATS_GRACE_MS), c.string(HISTORY), c.integer(HISTORY_WINDOWS), c.integer(HISTORY_BATCH_GROUPS),
                c.longValue(HISTORY_MAX_WAIT_MS) > 0 ? c.longValue(HISTORY_MAX_WAIT_MS) : 2 * c.longValue(STATS_WINDOW_MS),
                c.longValue(DEDUP_RETENTION_MS) > 0 ? c.longValue(DEDUP_RETENTION_MS) : 2 * c.longValue(GROUP_GRACE_MS),
                c.integer(INPUT_PARTITIONS)), ValueDomains.from(c),
                c.string(RELEASE).equals("on-complete") ? Release.ON_COMPLETE : Release.WINDOW);
    }

    /**
     * punctuate.ms as set, or by default 1000 ms live and 100 ms for a replay: a replay's input ends, and its last
     * windows' groups then leave on this check rather than on a record (a second at 1000 ms, a tenth of a 10 s replay).
     */
    static long punctuateMs(Config c) {
        long ms = c.longValue(PUNCTUATE_MS);
        if (ms == 0) return c.bool(REPLAY) ? 100 : 1000;
        if (ms < 10) throw new ConfigException(PUNCTUATE_MS + ": expected 0 (the default: 1000 ms, or 100 ms for a replay) or at least 10 ms, got " + ms);
        return ms;
    }

    /**
     * An output topic: as configured, or for a replay (replay=true) left at the live default, the live name +
     * "." + application.id, so a replay never writes into the live pipeline's advantages, dead letters or statistics.
     */
    static String output(Config c, String key) {
        String topic = c.string(key);
        if (!c.bool(REPLAY)) return topic;
        String id = c.string(APPLICATION_ID);
        if (id.equals(LIVE_APPLICATION_ID))
            throw new ConfigException(REPLAY + "=true needs its own " + APPLICATION_ID + " (not the live pipeline's "
                    + LIVE_APPLICATION_ID + "), e.g. --" + APPLICATION_ID + "=ccpo-credit-replay-1");
        String live = c.spec().keys().stream().filter(k -> k.name().equals(key)).findFirst().orElseThrow().defaultValue();
        return topic.equals(live) ? live + "." + id : topic;
    }

    /** The output topics a replay writes: created by the app when missing (partitions of the input, or 1 for stats). */
    public List<String> outputTopics() { return List.of(advantagesTopic, dlqTopic, statsTopic); }

    public static CreditMode parseMode(String s) {
        return switch (s) {
            case "ccpo" -> CreditMode.CCPO;
            case "ccpo-bonus" -> CreditMode.CCPO_BONUS;
            case "shared" -> CreditMode.SHARED;
            default -> throw new IllegalArgumentException(CREDIT_MODE + ": expected ccpo, ccpo-bonus or shared, got " + s);
        };
    }
}
