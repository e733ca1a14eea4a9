package dev.ccpo.analytics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How long each record spends in each stage of the loop, measured on every record from outside the services: the
 * times are when a read_committed consumer (the demo's monitor, the analytics app's reader) first sees each record,
 * so a stage ends when its output is visible downstream, transaction commit included.
 * <ul>
 *   <li>{@code rollout}: a trajectory's episode finished ({@code createdAtMs}) → the trajectory is visible;</li>
 *   <li>{@code counterfactual}: the trajectory visible → its counterfactual visible;</li>
 *   <li>{@code credit}: the group's last input visible → its first advantage visible;</li>
 *   <li>{@code learner}: the group's advantages visible → the next policy version visible on the weights topic
 *       (batching included: a group waits for the others of its learner step);</li>
 *   <li>{@code swap}: a version visible → the first episode sampled with it finished (the worker's swap and one
 *       group's sampling).</li>
 * </ul>
 * Bounded memory, for a service that runs for days: percentiles are over each stage's most recent
 * {@link #SAMPLES_PER_STAGE} samples, and each map of records still in flight keeps at most {@link #MAX_IN_FLIGHT}
 * entries, the eldest evicted beyond that, so records that never complete (dead-lettered, lost) cannot grow it
 * forever; an evicted record simply yields no sample. Both caps are far above a demo run's records.
 * Not thread-safe: callers hold their own lock.
 */
public final class StageLatency {
    public static final List<String> STAGES = List.of("rollout", "counterfactual", "credit", "learner", "swap");
    /** Samples per stage the percentiles are over: the most recent ones. */
    public static final int SAMPLES_PER_STAGE = 10_000;
    /** Entries per in-flight map (trajectories, groups, credited groups, versions) before the eldest is evicted. */
    public static final int MAX_IN_FLIGHT = 50_000;

    /** Percentiles of one stage in milliseconds over its most recent {@code count} samples. */
    public record Percentiles(long count, double p50, double p90, double p99, double max) { }

    private final int maxInFlight;
    private final Map<String, Ring> samples = new LinkedHashMap<>();
    private final Map<String, Long> trajectoryVisible;  // trajectoryId -> seen at
    private final Map<String, Long> groupInputsVisible; // groupId -> last input seen at
    private final Map<String, Long> groupCredited;      // groupId -> first advantage seen at, until a version follows
    private final TreeMap<Long, Long> versionVisible = new TreeMap<>(); // policy version -> first weights record seen at
    private long newestUsedVersion = 0;

    public StageLatency() {
        this(SAMPLES_PER_STAGE, MAX_IN_FLIGHT);
    }

    /** Smaller caps, for tests. */
    StageLatency(int samplesPerStage, int maxInFlight) {
        this.maxInFlight = maxInFlight;
        for (String s : STAGES) samples.put(s, new Ring(samplesPerStage));
        trajectoryVisible = bounded(maxInFlight);
        groupInputsVisible = bounded(maxInFlight);
        groupCredited = bounded(maxInFlight);
    }

    /** Insertion order: an entry updated later (a group's next input) keeps its place, so the eldest group goes first. */
    private static Map<String, Long> bounded(int cap) {
        return new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > cap;
            }
        };
    }

    public void trajectory(String trajectoryId, String groupId, long policyVersion, long createdAtMs, long seenAtMs) {
        add("rollout", seenAtMs - createdAtMs);
        trajectoryVisible.put(trajectoryId, seenAtMs);
        groupInputsVisible.merge(groupId, seenAtMs, Math::max);
        if (policyVersion > newestUsedVersion) {
            Long published = versionVisible.get(policyVersion);
            if (published != null) add("swap", createdAtMs - published);
            newestUsedVersion = policyVersion;
        }
    }

    public void counterfactual(String trajectoryId, String groupId, long seenAtMs) {
        Long t = trajectoryVisible.remove(trajectoryId); // one outcome per trajectory (THINK_REASON); a voter team's others skip
        if (t != null) add("counterfactual", seenAtMs - t);
        groupInputsVisible.merge(groupId, seenAtMs, Math::max);
    }

    public void advantage(String groupId, long seenAtMs) {
        Long inputs = groupInputsVisible.remove(groupId);
        if (inputs == null) return; // not the group's first advantage
        add("credit", seenAtMs - inputs);
        groupCredited.put(groupId, seenAtMs);
    }

    public void weights(long policyVersion, long seenAtMs) {
        if (versionVisible.putIfAbsent(policyVersion, seenAtMs) != null) return; // a later chunk or role of this version
        if (versionVisible.size() > maxInFlight) versionVisible.pollFirstEntry(); // the oldest version
        for (long credited : groupCredited.values()) add("learner", seenAtMs - credited);
        groupCredited.clear();
    }

    private void add(String stage, long ms) {
        samples.get(stage).add(Math.max(0, ms));
    }

    /** Percentiles per stage over its most recent samples (stages with no sample yet are left out). */
    public Map<String, Percentiles> percentiles() {
        Map<String, Percentiles> out = new LinkedHashMap<>();
        samples.forEach((stage, ring) -> {
            long[] sorted = ring.sorted();
            if (sorted.length == 0) return;
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

    /** The newest {@code capacity} samples of one stage: each new one overwrites the oldest once full. */
    private static final class Ring {
        private final long[] xs;
        private long added;

        Ring(int capacity) { xs = new long[capacity]; }

        void add(long x) { xs[(int) (added++ % xs.length)] = x; }

        long[] sorted() {
            long[] out = Arrays.copyOf(xs, (int) Math.min(added, xs.length));
            Arrays.sort(out);
            return out;
        }
    }
}
