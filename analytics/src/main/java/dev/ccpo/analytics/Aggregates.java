package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Moments;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-memory view the page shows, built only from records on the topics. Everything is keyed by
 * values inside the records (policy version, role, worker, record time), never by arrival time, so a
 * page opened mid-run or after a replay (read from the earliest offsets) shows the same numbers; the one
 * exception is the per-stage latency ({@link StageLatency}), which is about arrival: each record's seenAtMs
 * is when the reader's read_committed consumer saw it.
 * Methods are synchronized: one consumer thread writes, HTTP threads read snapshots.
 */
public final class Aggregates {
    /** A team answer counts as correct when its reward is at least this (rewards are 0/1 by default). */
    public static final double CORRECT_REWARD = 0.5;
    static final int RATE_WINDOW_S = 10;
    static final int SERIES_S = 60;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final double histMin;
    private final double histMax;
    private final int bins;

    private final TreeMap<Long, Mean> rewardByVersion = new TreeMap<>();
    private final TreeMap<Long, long[]> correctByVersion = new TreeMap<>();
    private final Map<String, RoleStats> roles = new TreeMap<>();
    private final Map<String, Worker> workers = new TreeMap<>();
    private final Map<String, ObjectNode> latestStats = new TreeMap<>();
    private final Map<String, ObjectNode> latestWeights = new TreeMap<>();
    private final Map<String, Throughput> throughput = new TreeMap<>();
    private final Map<String, Long> errors = new TreeMap<>();
    private final CreditQuality creditQuality = new CreditQuality();
    private final StageLatency latency = new StageLatency();
    private String lastError = null;

    public Aggregates(double histMin, double histMax, int bins) {
        if (!(histMax > histMin)) throw new IllegalArgumentException(AnalyticsKeys.HIST_MAX + " (" + histMax
                + ") must be greater than " + AnalyticsKeys.HIST_MIN + " (" + histMin + ")");
        this.histMin = histMin;
        this.histMax = histMax;
        this.bins = bins;
    }

    /** Trajectories per policy version whose reward is NaN or infinite: shown as counts, kept out of the means. */
    private final TreeMap<Long, Long> nonFiniteRewards = new TreeMap<>();

    static final class Mean {
        long count;
        double sum;
        void add(double x) { count++; sum += x; }
        double mean() { return count == 0 ? 0 : sum / count; }
    }

    private final class RoleStats {
        final long[] hist = new long[bins];
        long under, over, count, nonFinite, nonFiniteMarginal;
        double sumAdvantage;
        final TreeMap<Long, Mean> marginalByVersion = new TreeMap<>();
        final TreeMap<Long, Mean> marginalByMinute = new TreeMap<>();
    }

    private static final class Worker {
        long policyVersion = -1, lastSeenMs = Long.MIN_VALUE, records;
        String source;
    }

    private static final class Throughput {
        long total;
        final TreeMap<Long, Long> perSecond = new TreeMap<>();
    }

    /** Counts one record of the topic at its record timestamp, for records/s; wallNowMs prunes old seconds. */
    public synchronized void onRecord(String topic, long timestampMs, long wallNowMs) {
        Throughput t = throughput.computeIfAbsent(topic, k -> new Throughput());
        t.total++;
        long sec = Math.floorDiv(timestampMs, 1000);
        long oldest = Math.floorDiv(wallNowMs, 1000) - 2L * SERIES_S;
        if (sec >= oldest) t.perSecond.merge(sec, 1L, Long::sum);
        t.perSecond.headMap(oldest).clear();
    }

    /** A record that could not be decoded: counted per topic and shown on the page, never hidden. */
    public synchronized void onError(String topic, String reason) {
        errors.merge(topic, 1L, Long::sum);
        lastError = topic + ": " + reason;
    }

    public synchronized void onTrajectory(Trajectory t, long seenAtMs) {
        long v = t.getPolicyVersion();
        latency.trajectory(t.getTrajectoryId(), t.getGroupId(), v, t.getCreatedAtMs().toEpochMilli(), seenAtMs);
        if (!Double.isFinite(t.getReward())) {  // counted apart: one infinite reward must not flatten the chart
            nonFiniteRewards.merge(v, 1L, Long::sum);
            seen(t.getWorkerId(), v, t.getCreatedAtMs().toEpochMilli(), "trajectories");
            return;
        }
        rewardByVersion.computeIfAbsent(v, k -> new Mean()).add(t.getReward());
        long[] c = correctByVersion.computeIfAbsent(v, k -> new long[1]);
        if (t.getReward() >= CORRECT_REWARD) c[0]++;
        seen(t.getWorkerId(), v, t.getCreatedAtMs().toEpochMilli(), "trajectories");
    }

    public synchronized void onCounterfactual(CounterfactualOutcome c, long seenAtMs) {
        latency.counterfactual(c.getTrajectoryId(), c.getGroupId(), seenAtMs);
        seen(c.getWorkerId(), c.getPolicyVersion(), c.getCreatedAtMs().toEpochMilli(), "counterfactuals");
    }

    private void seen(String workerId, long version, long atMs, String source) {
        Worker w = workers.computeIfAbsent(workerId == null || workerId.isEmpty() ? "(none)" : workerId, k -> new Worker());
        w.records++;
        // the newest record decides the current version, whatever order the partitions are read in
        if (atMs >= w.lastSeenMs) {
            w.lastSeenMs = atMs;
            w.policyVersion = version;
            w.source = source;
        }
    }

    public synchronized void onAdvantage(AgentAdvantage a, long seenAtMs) {
        latency.advantage(a.getGroupId(), seenAtMs);
        creditQuality.add(a);
        RoleStats r = roles.computeIfAbsent(a.getRole(), k -> new RoleStats());
        double x = a.getAdvantage();
        r.count++;
        if (!Double.isFinite(x)) {  // counted apart: never in a bin, a mean or a chart
            r.nonFinite++;
            return;
        }
        r.sumAdvantage += x;
        if (x < histMin) r.under++;
        else if (x >= histMax) r.over++;
        else r.hist[Math.min(bins - 1, (int) ((x - histMin) / (histMax - histMin) * bins))]++;
        if (!Double.isFinite(a.getMarginalContribution())) {
            r.nonFiniteMarginal++;
            return;
        }
        r.marginalByVersion.computeIfAbsent(a.getPolicyVersion(), k -> new Mean()).add(a.getMarginalContribution());
        long minute = Math.floorDiv(a.getCreatedAtMs().toEpochMilli(), 60_000L) * 60_000L;
        r.marginalByMinute.computeIfAbsent(minute, k -> new Mean()).add(a.getMarginalContribution());
    }

    public synchronized void onRolloutStats(RolloutStats s) {
        ObjectNode prev = latestStats.get(s.getRole());
        long end = s.getWindowEndMs().toEpochMilli();
        if (prev != null && prev.get("windowEndMs").asLong() > end) return;  // an older window arriving late
        ObjectNode o = F.objectNode();
        o.put("windowStartMs", s.getWindowStartMs().toEpochMilli()).put("windowEndMs", end);
        o.set("credit", moments(s.getCredit()));
        o.set("joint", moments(s.getJoint()));
        o.set("counterfactual", moments(s.getCounterfactual()));
        latestStats.put(s.getRole(), o);
    }

    private static ObjectNode moments(Moments m) {
        double var = m.getCount() > 0 ? m.getM2() / m.getCount() : 0;  // the schema's definition: variance = m2 / count
        return F.objectNode().put("count", m.getCount()).put("mean", m.getMean()).put("std", Math.sqrt(Math.max(0, var)));
    }

    public synchronized void onWeights(PolicyWeights w, long seenAtMs) {
        latency.weights(w.getPolicyVersion(), seenAtMs);
        String role = w.getRole() == null || w.getRole().isEmpty() ? "(shared)" : w.getRole();
        ObjectNode prev = latestWeights.get(role);
        long chunks = 1;
        if (prev != null) {
            long pv = prev.get("policyVersion").asLong();
            if (pv > w.getPolicyVersion()) return;
            if (pv == w.getPolicyVersion()) chunks = prev.get("chunksSeen").asLong() + 1;
        }
        ObjectNode o = F.objectNode();
        o.put("modelId", w.getModelId()).put("policyVersion", w.getPolicyVersion()).put("format", w.getFormat())
                .put("totalBytes", w.getTotalBytes()).put("chunkCount", w.getChunkCount()).put("chunksSeen", chunks)
                .put("byReference", w.getUri() != null).put("createdAtMs", w.getCreatedAtMs().toEpochMilli());
        latestWeights.put(role, o);
    }

    /** The JSON of GET /api/summary; lag is the latest Admin API probe (or null before the first). */
    public synchronized ObjectNode summary(long wallNowMs, ObjectNode lag) {
        ObjectNode root = F.objectNode();
        root.put("generatedAtMs", wallNowMs).put("correctRewardThreshold", CORRECT_REWARD);
        ArrayNode versions = root.putArray("versions");
        long trajTotal = 0, correctTotal = 0;
        for (Map.Entry<Long, Mean> e : rewardByVersion.entrySet()) {
            long n = e.getValue().count, ok = correctByVersion.get(e.getKey())[0];
            trajTotal += n;
            correctTotal += ok;
            versions.addObject().put("policyVersion", e.getKey()).put("trajectories", n).put("correct", ok)
                    .put("accuracy", (double) ok / n).put("meanReward", e.getValue().mean())
                    .put("nonFiniteRewards", nonFiniteRewards.getOrDefault(e.getKey(), 0L));
        }
        root.put("nonFiniteRewards", nonFiniteRewards.values().stream().mapToLong(Long::longValue).sum());
        root.putObject("team").put("trajectories", trajTotal).put("correct", correctTotal)
                .put("accuracy", trajTotal == 0 ? 0 : (double) correctTotal / trajTotal);
        root.set("roles", rolesJson());
        ArrayNode quality = root.putArray("creditQuality");
        for (CreditQuality.Figures f : creditQuality.figures())
            quality.addObject().put("mode", f.mode()).put("role", f.role()).put("judged", f.judged()).put("right", f.right())
                    .put("pairs", f.pairs()).put("auc", orNull(f.auc())).put("rewardedMistakes", orNull(f.rewardedMistakes()))
                    .put("punishedSuccesses", orNull(f.punishedSuccesses()))
                    .put("signsCompared", f.signsCompared()).put("signFlips", orNull(f.signFlips()));
        root.set("rolloutStats", F.objectNode().setAll(new LinkedHashMap<>(latestStats)));
        root.set("weights", F.objectNode().setAll(new LinkedHashMap<>(latestWeights)));
        ArrayNode ws = root.putArray("workers");
        workers.forEach((id, w) -> ws.addObject().put("workerId", id).put("policyVersion", w.policyVersion)
                .put("source", w.source).put("lastSeenMs", w.lastSeenMs).put("records", w.records));
        root.set("throughput", throughputJson(wallNowMs));
        ObjectNode err = root.putObject("decodeErrors");
        errors.forEach(err::put);
        root.put("lastDecodeError", lastError);
        root.set("lag", lag == null ? F.nullNode() : lag);
        ObjectNode lat = root.putObject("latency");  // stages without a sample yet are left out
        latency.percentiles().forEach((stage, p) -> lat.putObject(stage).put("count", p.count())
                .put("p50", p.p50()).put("p90", p.p90()).put("p99", p.p99()).put("max", p.max()));
        return root;
    }

    /** NaN (nothing to measure yet) as JSON null. */
    private static Double orNull(double x) { return Double.isNaN(x) ? null : x; }

    private ObjectNode rolesJson() {
        ObjectNode out = F.objectNode();
        roles.forEach((role, r) -> {
            ObjectNode o = out.putObject(role);
            long finite = r.count - r.nonFinite;
            o.put("advantages", r.count).put("meanAdvantage", finite == 0 ? 0 : r.sumAdvantage / finite)
                    .put("nonFiniteMarginal", r.nonFiniteMarginal);
            ObjectNode h = o.putObject("histogram");
            h.put("min", histMin).put("max", histMax).put("under", r.under).put("over", r.over).put("nonFinite", r.nonFinite);
            ArrayNode counts = h.putArray("counts");
            for (long c : r.hist) counts.add(c);
            ArrayNode byV = o.putArray("marginalByVersion");
            r.marginalByVersion.forEach((v, m) -> byV.addObject().put("policyVersion", v).put("mean", m.mean()).put("count", m.count));
            ArrayNode byM = o.putArray("marginalByMinute");
            r.marginalByMinute.forEach((t, m) -> byM.addObject().put("minuteMs", t).put("mean", m.mean()).put("count", m.count));
        });
        return out;
    }

    private ObjectNode throughputJson(long wallNowMs) {
        ObjectNode out = F.objectNode();
        long nowSec = Math.floorDiv(wallNowMs, 1000);
        throughput.forEach((topic, t) -> {
            long recent = 0;
            for (long c : t.perSecond.subMap(nowSec - RATE_WINDOW_S + 1, true, nowSec, true).values()) recent += c;
            ObjectNode o = out.putObject(topic);
            o.put("total", t.total).put("perSecond", (double) recent / RATE_WINDOW_S);
            ArrayNode series = o.putArray("lastMinute");  // records per second, oldest first
            for (long s = nowSec - SERIES_S + 1; s <= nowSec; s++) series.add(t.perSecond.getOrDefault(s, 0L));
        });
        return out;
    }
}
