package dev.ccpo.credit;

import dev.ccpo.avro.Moments;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.credit.StateSerdes.WindowKey;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one stats task (its input topic has ONE partition): exact moments per tumbling event-time window
 * and role, closed in window order once the minimum over all input partitions of their watermarks passes
 * windowEnd + grace; each close folds the window into the role's history and publishes RolloutStats
 * (key role) with the window's moments, the history after it and closedThroughMs.
 * <p>Stores: {@code credit-stats-progress} partition → its watermark, and {@link #CLOSED_THROUGH} → the end of the
 * last closed window; {@code credit-stats-windows} (windowStart, role, groupId) → a group's moments (merged at close
 * in groupId order, so the result does not depend on arrival order); {@code credit-stats-history} role → RoleHistory.
 */
final class StatsProcessor implements Processor<String, byte[], String, RolloutStats> {
    private static final Logger log = LoggerFactory.getLogger(StatsProcessor.class);
    /** Record header on ccpo.rollout-stats carrying the writing application.id. */
    static final String WRITER_HEADER = "ccpo-stats-writer";
    /**
     * Counter of stats messages (a group's signals, or a watermark) the stats task could not use, so possibly groups
     * left out of the statistics; on /stats. Every readable group counts once, so it stays 0 unless a bug wrote a bad message.
     */
    static final String EXCLUDED = "stats.excluded";

    private final CreditSettings s;
    private final CreditSettings.Stats st;
    private final CreditCounters counters;
    private ProcessorContext<String, RolloutStats> ctx;
    /** The progress store's key of the end of the last closed window (partitions are keys 0..n-1). */
    static final int CLOSED_THROUGH = -1;
    private KeyValueStore<Integer, Long> progress;
    private KeyValueStore<WindowKey, Stat[]> windows;
    private KeyValueStore<String, RoleHistory> histories;
    /** Wall clock of each partition's last watermark advance: only for the idle fallback, never in records. */
    private long[] lastAdvanceWall;
    private boolean idleLogged;

    StatsProcessor(CreditSettings s, CreditCounters counters) {
        this.s = s;
        this.st = s.stats();
        this.counters = counters;
        counters.register(EXCLUDED);
        if (st.inputPartitions() < 1)
            throw new IllegalArgumentException(CreditSettings.INPUT_PARTITIONS + " must be resolved to >= 1 before building the topology");
    }

    @Override
    public void init(ProcessorContext<String, RolloutStats> context) {
        ctx = context;
        progress = context.getStateStore(CreditTopology.STATS_PROGRESS_STORE);
        windows = context.getStateStore(CreditTopology.STATS_WINDOWS_STORE);
        histories = context.getStateStore(CreditTopology.STATS_HISTORY_STORE);
        lastAdvanceWall = new long[st.inputPartitions()];
        java.util.Arrays.fill(lastAdvanceWall, context.currentSystemTimeMs());
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.WALL_CLOCK_TIME, this::closeWindows);
    }

    @Override
    public void process(Record<String, byte[]> rec) {
        StatsMessage m;
        try {
            m = StatsMessage.decode(rec.value());
        } catch (RuntimeException e) {  // only this app writes the topic: a bad message is a bug, but never fatal
            counters.inc("stats.malformed");
            counters.inc(EXCLUDED);
            log.error("malformed internal stats message ignored ({} bytes)", rec.value() == null ? 0 : rec.value().length, e);
            return;
        }
        if (m.partition() < 0 || m.partition() >= st.inputPartitions()) {
            counters.inc("stats.bad-partition");
            counters.inc(EXCLUDED);
            log.error("stats message from partition {} but {}={}; ignored", m.partition(), CreditSettings.INPUT_PARTITIONS,
                    st.inputPartitions());
            return;
        }
        Long old = progress.get(m.partition());
        if (old == null) log.debug("first stats message from partition {}: {}", m.partition(), m);
        if (old == null || old < m.watermarkMs()) {
            progress.put(m.partition(), m.watermarkMs());
            lastAdvanceWall[m.partition()] = ctx.currentSystemTimeMs();
        }
        if (m.kind() == 'S') addSignals(m);
        closeWindows(ctx.currentSystemTimeMs());
    }

    /**
     * The window a group's signals count in: its own (by event time), or, when it completed after its source
     * partition passed that window's end + grace (late), the window still open at that partition's watermark
     * then, windowStart(watermark - grace). Both depend only on the source partition's own records, so every
     * group counts exactly once, in the same window on every replay; that window is never closed yet (the
     * stats watermark is at most this partition's), except after the wall-clock idle fallback.
     */
    long countingWindow(StatsMessage m) {
        long ws = st.windowStart(m.eventTimeMs());
        return ws + st.windowMs() + st.graceMs() <= m.watermarkMs() ? st.closableThrough(m.watermarkMs()) : ws;
    }

    private void addSignals(StatsMessage m) {
        if (!finite(new Stat[]{m.credit(), m.joint(), m.counterfactual()})) {  // the group processor dead-letters these first
            counters.inc("stats.non-finite");
            log.error("group {} sent non-finite signals {}; not counted in the stats", m.groupId(), m.credit());
            return;
        }
        long ws = countingWindow(m), end = ws + st.windowMs();
        if (ws != st.windowStart(m.eventTimeMs())) {
            counters.inc("stats.late");
            log.info("group {} (event time {}) completed after its source partition {} passed its window's end + grace {} ms;"
                    + " counted in the open window [{}, {})", m.groupId(), m.eventTimeMs(), m.partition(), st.graceMs(), ws, end);
        }
        long closed = closedThrough();
        if (end <= closed) {
            // Only after the wall-clock idle fallback closed windows before this partition passed them: the group
            // still counts once, in the first window not closed yet (not replay-exact; the fallback is logged).
            counters.inc("stats.after-idle-close");
            log.warn("group {} belongs to window [{}, {}), closed early by the idle-partition fallback; counted in [{}, {})",
                    m.groupId(), ws, end, closed, closed + st.windowMs());
            ws = closed;
        }
        windows.put(new WindowKey(ws, m.role(), m.groupId()), new Stat[]{m.credit(), m.joint(), m.counterfactual()});
        if (histories.get(m.role()) == null) {
            // A new role: tell its readers at once how far the (empty) history is closed.
            histories.put(m.role(), RoleHistory.EMPTY);
            if (closed >= 0) publish(m.role(), closed - st.windowMs(), new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY},
                    RoleHistory.EMPTY, closed);
        }
    }

    private long closedThrough() {
        Long c = progress.get(CLOSED_THROUGH);
        return c == null ? Long.MIN_VALUE : c;
    }

    /**
     * Stats watermark = min over input partitions of their watermarks; a partition silent for half of
     * history.max.wait.ms (wall clock) while behind the others is left out (idle fallback, counted).
     */
    private void closeWindows(long wallNow) {
        long[] wm = new long[st.inputPartitions()];
        long max = Long.MIN_VALUE;
        for (int p = 0; p < wm.length; p++) {
            Long v = progress.get(p);
            wm[p] = v == null ? Long.MIN_VALUE : v;
            max = Math.max(max, wm[p]);
        }
        long min = Long.MAX_VALUE, strictMin = Long.MAX_VALUE;
        for (int p = 0; p < wm.length; p++) {
            strictMin = Math.min(strictMin, wm[p]);
            boolean idle = wm[p] < max && wallNow - lastAdvanceWall[p] > st.maxWaitMs() / 2;
            if (!idle) min = Math.min(min, wm[p]);
        }
        if (min == Long.MIN_VALUE || min == Long.MAX_VALUE) return;
        long closeTo = st.closableThrough(min);
        long closed = closedThrough();
        if (closeTo < 0 || closeTo <= closed) return;
        if (min != strictMin) {
            counters.inc("stats.idle-close");
            if (!idleLogged) log.warn("an input partition was silent for over {} ms; closing windows up to {} without it",
                    st.maxWaitMs() / 2, closeTo);
            idleLogged = true;
        } else {
            idleLogged = false;
        }
        log.debug("closing windows up to {} (watermarks {})", closeTo, java.util.Arrays.toString(wm));
        close(closeTo);
        progress.put(CLOSED_THROUGH, closeTo);
        ctx.commit();  // held groups wait for these statistics: visible once committed, not after commit.interval.ms
    }

    /** Closes every buffered window ending at or before closeTo, in window order, and publishes per role. */
    private void close(long closeTo) {
        // windowStart -> role -> {credit, joint, cf}, merged in key (= groupId) order; and the number of groups.
        TreeMap<Long, TreeMap<String, Stat[]>> closing = new TreeMap<>();
        Map<Map.Entry<Long, String>, Long> groups = new java.util.HashMap<>();  // (windowStart, role) -> groups in it
        List<WindowKey> done = new ArrayList<>();
        if (closeTo - st.windowMs() >= 0) {
            // Every window starting at or before closeTo - windowMs: keys up to the first possible key of the next start.
            try (KeyValueIterator<WindowKey, Stat[]> it = windows.range(new WindowKey(Long.MIN_VALUE, "", ""),
                    new WindowKey(closeTo - st.windowMs() + 1, "", ""))) {
                while (it.hasNext()) {
                    KeyValue<WindowKey, Stat[]> kv = it.next();
                    Stat[] acc = closing.computeIfAbsent(kv.key.windowStart(), x -> new TreeMap<>())
                            .computeIfAbsent(kv.key.role(), x -> new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY});
                    for (int i = 0; i < 3; i++) acc[i] = acc[i].merge(kv.value[i]);
                    groups.merge(Map.entry(kv.key.windowStart(), kv.key.role()), 1L, Long::sum);
                    done.add(kv.key);
                }
            }
        }
        for (WindowKey k : done) StateSerdes.remove(windows, k);
        TreeMap<String, RoleHistory> roles = new TreeMap<>();
        try (KeyValueIterator<String, RoleHistory> it = histories.all()) {
            while (it.hasNext()) { KeyValue<String, RoleHistory> kv = it.next(); roles.put(kv.key, kv.value); }
        }
        for (Map.Entry<String, RoleHistory> r : roles.entrySet()) {
            RoleHistory h = r.getValue();
            List<Long> mine = new ArrayList<>();
            for (var w : closing.entrySet()) if (w.getValue().containsKey(r.getKey())) mine.add(w.getKey());
            if (mine.isEmpty()) {  // heartbeat: the watermark passed, nothing new for this role
                publish(r.getKey(), closeTo - st.windowMs(), new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY}, h, closeTo);
            }
            for (int i = 0; i < mine.size(); i++) {
                long ws = mine.get(i);
                Stat[] w = closing.get(ws).get(r.getKey());
                RoleHistory next = h.fold(w, st.history(), s.windowDecay(groups.get(Map.entry(ws, r.getKey()))), st.historyWindows());
                if (finite(w) && finite(next.current(st.history()))) {
                    h = next;
                } else {  // the history never folds or becomes a non-finite value: keep the old one, say so
                    counters.inc("stats.non-finite");
                    log.error("window [{}, {}) of role {} has moments {} that would make the history non-finite; not folded, "
                            + "the history stays as it was", ws, ws + st.windowMs(), r.getKey(), w[0]);
                    w = new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY};
                }
                publish(r.getKey(), ws, w, h, i == mine.size() - 1 ? closeTo : ws + st.windowMs());
            }
            histories.put(r.getKey(), h);
        }
    }

    private void publish(String role, long ws, Stat[] w, RoleHistory h, long closedThroughMs) {
        CreditMath.History[] cur = h.current(st.history());
        RolloutStats r = RolloutStats.newBuilder().setRole(role).setWindowStartMs(Instant.ofEpochMilli(ws))
                .setWindowEndMs(Instant.ofEpochMilli(ws + st.windowMs()))
                .setCredit(moments(w[0])).setJoint(moments(w[1])).setCounterfactual(moments(w[2]))
                .setCreditHistory(history(cur[0])).setJointHistory(history(cur[1])).setCounterfactualHistory(history(cur[2]))
                .setHistoryKind(st.history()).setClosedThroughMs(closedThroughMs).build();
        counters.inc("stats.published");
        log.debug("publish {} window [{}, {}) n={} history n={} closedThrough={}", role, ws, ws + st.windowMs(), w[0].count(),
                cur[0].count(), closedThroughMs);
        // The header names the writer: other app ids (a replay, the live pipeline) share the topic.
        ctx.forward(new Record<>(role, r, ws + st.windowMs()).withHeaders(new RecordHeaders()
                .add(WRITER_HEADER, s.applicationId().getBytes(StandardCharsets.UTF_8))));
    }

    static boolean finite(Stat[] w) {
        for (Stat x : w) if (!Double.isFinite(x.mean()) || !Double.isFinite(x.m2())) return false;
        return true;
    }

    static boolean finite(CreditMath.History[] h) {
        for (CreditMath.History x : h) if (!Double.isFinite(x.mean()) || !Double.isFinite(x.variance())) return false;
        return true;
    }

    private static Moments moments(Stat x) {
        return Moments.newBuilder().setCount(x.count()).setMean(x.mean()).setM2(x.m2()).build();
    }

    private static dev.ccpo.avro.History history(CreditMath.History x) {
        return dev.ccpo.avro.History.newBuilder().setCount(x.count()).setMean(x.mean()).setVariance(x.variance()).build();
    }
}
