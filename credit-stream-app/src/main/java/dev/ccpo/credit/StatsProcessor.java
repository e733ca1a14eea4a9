package dev.ccpo.credit;

import dev.ccpo.avro.Moments;
import dev.ccpo.avro.RolloutStats;
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
 * <p>Store keys: {@code p|partition} -> watermark; {@code g|windowStart|role|groupId} -> a group's moments
 * (merged at close in groupId order, so the result does not depend on arrival order);
 * {@code c} -> closedThrough; {@code h|role} -> RoleHistory.
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
    private KeyValueStore<String, String> store;
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
        store = context.getStateStore(CreditTopology.STATS_STORE);
        lastAdvanceWall = new long[st.inputPartitions()];
        java.util.Arrays.fill(lastAdvanceWall, context.currentSystemTimeMs());
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.WALL_CLOCK_TIME, this::closeWindows);
    }

    static String pad(long v) {
        String d = Long.toString(Math.max(0, v));
        return "0".repeat(19 - d.length()) + d;
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
        String pk = "p|" + m.partition();
        if (log.isDebugEnabled() && store.get(pk) == null) log.debug("first stats message from partition {}: {}", m.partition(), m);
        String old = store.get(pk);
        if (old == null || Long.parseLong(old) < m.watermarkMs()) {
            store.put(pk, Long.toString(m.watermarkMs()));
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
        return ws + st.windowMs() + st.graceMs() <= m.watermarkMs() ? st.windowStart(m.watermarkMs() - st.graceMs()) : ws;
    }

    private void addSignals(StatsMessage m) {
        if (!finite(new Stat[]{m.credit(), m.joint(), m.counterfactual()})) {  // the group processor dead-letters these first
            counters.inc("stats.non-finite");
            log.error("group {} sent non-finite signals {}; not counted in the stats", m.groupId(), m.credit().encode());
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
        store.put("g|" + pad(ws) + "|" + m.role() + "|" + m.groupId(),
                m.credit().encode() + "/" + m.joint().encode() + "/" + m.counterfactual().encode());
        if (store.get("h|" + m.role()) == null) {
            // A new role: tell its readers at once how far the (empty) history is closed.
            store.put("h|" + m.role(), RoleHistory.EMPTY.encode());
            if (closed >= 0) publish(m.role(), closed - st.windowMs(), new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY},
                    RoleHistory.EMPTY, closed);
        }
    }

    private long closedThrough() {
        String c = store.get("c");
        return c == null ? Long.MIN_VALUE : Long.parseLong(c);
    }

    /**
     * Stats watermark = min over input partitions of their watermarks; a partition silent for half of
     * history.max.wait.ms (wall clock) while behind the others is left out (idle fallback, counted).
     */
    private void closeWindows(long wallNow) {
        long[] wm = new long[st.inputPartitions()];
        long max = Long.MIN_VALUE;
        for (int p = 0; p < wm.length; p++) {
            String v = store.get("p|" + p);
            wm[p] = v == null ? Long.MIN_VALUE : Long.parseLong(v);
            max = Math.max(max, wm[p]);
        }
        long min = Long.MAX_VALUE, strictMin = Long.MAX_VALUE;
        for (int p = 0; p < wm.length; p++) {
            strictMin = Math.min(strictMin, wm[p]);
            boolean idle = wm[p] < max && wallNow - lastAdvanceWall[p] > st.maxWaitMs() / 2;
            if (!idle) min = Math.min(min, wm[p]);
        }
        if (min == Long.MIN_VALUE || min == Long.MAX_VALUE) return;
        long closeTo = Math.floorDiv(min - st.graceMs(), st.windowMs()) * st.windowMs();
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
        store.put("c", Long.toString(closeTo));
    }

    /** Closes every buffered window ending at or before closeTo, in window order, and publishes per role. */
    private void close(long closeTo) {
        // windowStart -> role -> {credit, joint, cf}, merged in key (= groupId) order; and the number of groups.
        TreeMap<Long, TreeMap<String, Stat[]>> windows = new TreeMap<>();
        Map<String, Long> groups = new java.util.HashMap<>();
        List<String> done = new ArrayList<>();
        if (closeTo - st.windowMs() >= 0) {
            try (KeyValueIterator<String, String> it = store.range("g|", "g|" + pad(closeTo - st.windowMs()) + "|\uffff")) {
                while (it.hasNext()) {
                    KeyValue<String, String> kv = it.next();
                    String[] k = kv.key.split("\\|", 4);
                    String[] v = kv.value.split("/");
                    Stat[] acc = windows.computeIfAbsent(Long.parseLong(k[1]), x -> new TreeMap<>())
                            .computeIfAbsent(k[2], x -> new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY});
                    for (int i = 0; i < 3; i++) acc[i] = acc[i].merge(Stat.decode(v[i]));
                    groups.merge(Long.parseLong(k[1]) + "|" + k[2], 1L, Long::sum);
                    done.add(kv.key);
                }
            }
        }
        for (String k : done) store.delete(k);
        TreeMap<String, String> roles = new TreeMap<>();
        try (KeyValueIterator<String, String> it = store.range("h|", "h|\uffff")) {
            while (it.hasNext()) { KeyValue<String, String> kv = it.next(); roles.put(kv.key.substring(2), kv.value); }
        }
        for (Map.Entry<String, String> r : roles.entrySet()) {
            RoleHistory h = RoleHistory.decode(r.getValue());
            List<Long> mine = new ArrayList<>();
            for (var w : windows.entrySet()) if (w.getValue().containsKey(r.getKey())) mine.add(w.getKey());
            if (mine.isEmpty()) {  // heartbeat: the watermark passed, nothing new for this role
                publish(r.getKey(), closeTo - st.windowMs(), new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY}, h, closeTo);
            }
            for (int i = 0; i < mine.size(); i++) {
                long ws = mine.get(i);
                Stat[] w = windows.get(ws).get(r.getKey());
                RoleHistory next = h.fold(w, st.history(), s.windowDecay(groups.get(ws + "|" + r.getKey())), st.historyWindows());
                if (finite(w) && finite(next.current(st.history()))) {
                    h = next;
                } else {  // the history never folds or becomes a non-finite value: keep the old one, say so
                    counters.inc("stats.non-finite");
                    log.error("window [{}, {}) of role {} has moments {} that would make the history non-finite; not folded, "
                            + "the history stays as it was", ws, ws + st.windowMs(), r.getKey(), w[0].encode());
                    w = new Stat[]{Stat.EMPTY, Stat.EMPTY, Stat.EMPTY};
                }
                publish(r.getKey(), ws, w, h, i == mine.size() - 1 ? closeTo : ws + st.windowMs());
            }
            store.put("h|" + r.getKey(), h.encode());
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
