package dev.ccpo.demo.monitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How long each record spends in each stage of the loop, measured on every record from outside the services: the
 * times are when a read_committed consumer (the demo's monitor) first sees each record, so a stage ends when its
 * output is visible downstream, transaction commit included.
 * <ul>
 *   <li>{@code rollout}: a trajectory's episode finished ({@code createdAtMs}) → the trajectory is visible;</li>
 *   <li>{@code counterfactual}: the trajectory visible → its counterfactual visible;</li>
 *   <li>{@code credit}: the group's last input visible → its first advantage visible;</li>
 *   <li>{@code learner}: the group's advantages visible → the next policy version visible on the weights topic
 *       (batching included: a group waits for the others of its learner step);</li>
 *   <li>{@code swap}: a version visible → the first episode sampled with it finished (the worker's swap and one
 *       group's sampling).</li>
 * </ul>
 * Not thread-safe: the monitor calls it under its own lock.
 */
public final class StageLatency {
    static final List<String> STAGES = List.of("rollout", "counterfactual", "credit", "learner", "swap");

    /** Percentiles of one stage in milliseconds over {@code count} records. */
    public record Percentiles(long count, double p50, double p90, double p99, double max) { }

    private final Map<String, List<Long>> samples = new LinkedHashMap<>();
    private final Map<String, Long> trajectoryVisible = new HashMap<>();  // trajectoryId -> seen at
    private final Map<String, Long> groupInputsVisible = new HashMap<>(); // groupId -> last input seen at
    private final Map<String, Long> groupCredited = new HashMap<>();      // groupId -> first advantage seen at, until a version follows
    private final TreeMap<Long, Long> versionVisible = new TreeMap<>();   // policy version -> first weights record seen at
    private long newestUsedVersion = 0;

    StageLatency() {
        for (String s : STAGES) samples.put(s, new ArrayList<>());
    }

    void trajectory(String trajectoryId, String groupId, long policyVersion, long createdAtMs, long seenAtMs) {
        add("rollout", seenAtMs - createdAtMs);
        trajectoryVisible.put(trajectoryId, seenAtMs);
        groupInputsVisible.merge(groupId, seenAtMs, Math::max);
        if (policyVersion > newestUsedVersion) {
            Long published = versionVisible.get(policyVersion);
            if (published != null) add("swap", createdAtMs - published);
            newestUsedVersion = policyVersion;
        }
    }

    void counterfactual(String trajectoryId, String groupId, long seenAtMs) {
        Long t = trajectoryVisible.remove(trajectoryId); // one outcome per trajectory (THINK_REASON); a voter team's others skip
        if (t != null) add("counterfactual", seenAtMs - t);
        groupInputsVisible.merge(groupId, seenAtMs, Math::max);
    }

    void advantage(String groupId, long seenAtMs) {
        Long inputs = groupInputsVisible.remove(groupId);
        if (inputs == null) return; // not the group's first advantage
        add("credit", seenAtMs - inputs);
        groupCredited.put(groupId, seenAtMs);
    }

    void weights(long policyVersion, long seenAtMs) {
        if (versionVisible.putIfAbsent(policyVersion, seenAtMs) != null) return; // a later chunk or role of this version
        for (long credited : groupCredited.values()) add("learner", seenAtMs - credited);
        groupCredited.clear();
    }

    private void add(String stage, long ms) {
        samples.get(stage).add(Math.max(0, ms));
    }

    /** Percentiles per stage (stages with no sample yet are left out). */
    Map<String, Percentiles> percentiles() {
        Map<String, Percentiles> out = new LinkedHashMap<>();
        samples.forEach((stage, xs) -> {
            if (xs.isEmpty()) return;
            long[] sorted = xs.stream().mapToLong(Long::longValue).sorted().toArray();
            out.put(stage, new Percentiles(sorted.length, quantile(sorted, 0.5), quantile(sorted, 0.9), quantile(sorted, 0.99),
                    sorted[sorted.length - 1]));
        });
        return out;
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double quantile(long[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** One line: each stage's median and 90th percentile in ms. */
    public static String describe(Map<String, Percentiles> p) {
        if (p.isEmpty()) return "latency: no records yet";
        StringBuilder s = new StringBuilder("latency p50/p90 ms:");
        p.forEach((stage, x) -> s.append(String.format(Locale.ROOT, " %s %.0f/%.0f", stage, x.p50(), x.p90())));
        return s.toString();
    }
}
