package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.config.Roles;
import dev.ccpo.credit.GroupBuffer.Group;
import dev.ccpo.credit.StateSerdes.BufferKey;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.worker.ValueDomains;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The group task's second half: a group done buffering is held (its signals go to the stats task, it waits in the
 * release queue) and released with the history as of its window (GroupCredit), or dead-lettered; with
 * credit.release=on-complete it is released at once with the newest closed history instead.
 * Keeps the wall-clock bookkeeping of the fallbacks (in memory only, never in a record).
 */
final class GroupRelease {
    private static final Logger log = LoggerFactory.getLogger(GroupProcessor.class);
    private final CreditSettings s;
    private final CreditCounters counters;
    private final GroupBuffer buffer;
    private final GroupLedger ledger;
    private final DeadLetters dlq;
    private final ReleaseQueue pending = new ReleaseQueue();
    private final RecentGroups recent = new RecentGroups();  // the last 100 groups, for HTTP
    private ProcessorContext<String, CreditOutput> ctx;
    private KeyValueStore<StateSerdes.HistoryKey, RolloutHistory.Entry> stats;  // global: ccpo.rollout-stats read back (RolloutHistory)
    private int partition;
    // In memory, for wall-clock fallbacks only (never in a record): what the stream and the stats last did.
    private long lastSentWm = Long.MIN_VALUE, lastStreamAdvanceWall;
    private long lastStatsWm = Long.MIN_VALUE, lastStatsProgressWall;
    private final Map<String, Long> heldSinceWall = new java.util.HashMap<>();

    GroupRelease(CreditSettings s, CreditCounters counters, GroupBuffer buffer, GroupLedger ledger, DeadLetters dlq) {
        this.s = s;
        this.counters = counters;
        this.buffer = buffer;
        this.ledger = ledger;
        this.dlq = dlq;
    }

    void init(ProcessorContext<String, CreditOutput> context) {
        ctx = context;
        pending.init(context.getStateStore(CreditTopology.PENDING_STORE));
        recent.init(context.getStateStore(CreditTopology.RECENT_STORE));
        stats = context.getStateStore(CreditTopology.GLOBAL_STATS_STORE);
        partition = context.taskId().partition();
        lastStreamAdvanceWall = lastStatsProgressWall = context.currentSystemTimeMs();
    }

    long lastStreamAdvanceWall() { return lastStreamAdvanceWall; }

    void streamAdvanced(long wallNow) { lastStreamAdvanceWall = wallNow; }

    /** Watermark to the stats task, at most every tenth of a window of stream time (signals carry it too). */
    void maybeSendWatermark(long streamNow, long timestamp) {
        if (lastSentWm == Long.MIN_VALUE || streamNow >= lastSentWm + Math.max(1, s.stats().windowMs() / 10))
            toStats("~wm", StatsMessage.watermark(partition, streamNow), timestamp);
    }

    /**
     * Forwards a message to the stats task (its watermark is then the last sent). When its watermark lets a window close
     * that the last sent did not (passes a window end + grace), a commit is requested: under exactly-once the stats
     * task reads it only once committed, and a window's held groups wait for it, so it should not wait for
     * commit.interval.ms (1 s in a replay, twice over: here, then the stats).
     */
    private void toStats(String key, StatsMessage m, long timestamp) {
        long before = lastSentWm;
        lastSentWm = Math.max(lastSentWm, m.watermarkMs());
        if (before != Long.MIN_VALUE && s.stats().closableThrough(lastSentWm) > s.stats().closableThrough(before)) ctx.commit();
        ctx.forward(new Record<>(key, new CreditOutput.Signals(m), timestamp));
    }

    /**
     * A group is done buffering (complete, or expired with what it has): leftovers go to the DLQ, the
     * usable episodes stay buffered, their raw signals go to the stats task, and the group waits in
     * {@code pending} (ordered by window start, then id) for the stats of the windows before it.
     */
    void hold(String g, Group grp, boolean complete) {
        List<GroupCredit.Episode> eps = grp.episodes();
        List<BufferKey> keep = new ArrayList<>();
        for (var e : grp.entries.entrySet()) {
            String why = GroupChecks.leftover(grp, g, e.getValue());
            if (why == null) keep.add(e.getKey());
            else dlq.buffered(g, e.getValue(), why, "Incomplete");
        }
        buffer.retain(g, grp, keep);
        long now = ctx.currentStreamTimeMs();
        ledger.completed(g, now);
        if (eps.isEmpty()) {
            counters.inc("groups.unusable");
            log.warn("group {} had nothing usable; dead-lettered", g);
            return;
        }
        long eventTime = GroupCredit.eventTime(eps);
        String role = GroupCredit.role(grp.topology);
        Stat[] sig = GroupCredit.rawSignals(eps);
        for (Stat x : sig) {
            if (!Double.isFinite(x.mean()) || !Double.isFinite(x.m2())) {  // never folded into the history
                deadLetterGroup(g, grp, "group " + g + " has non-finite credit signals " + x + "; not counted, not credited");
                return;
            }
        }
        toStats(role, StatsMessage.signals(partition, now, eventTime, role, sig[0], sig[1], sig[2], g), eventTime);
        if (s.release() == CreditSettings.Release.ON_COMPLETE) {  // no wait: the newest closed history there is
            counters.inc("groups.released-on-complete");
            emit(g, buffer.get(g), complete, role, Long.MAX_VALUE);
            return;
        }
        // Release point in this partition's stream time: its window end + grace (when every on-time group of
        // the window here has completed), or now for a late group. The queue order (releaseAt, groupId) is
        // thus fixed by this partition's own records, so the output order does not depend on when the
        // stats arrive from the other partitions.
        long ws = s.stats().windowStart(eventTime);
        long releaseAt = Math.max(ws + s.stats().windowMs() + s.stats().graceMs(), now);
        pending.add(releaseAt, g, complete, role, ws);
        heldSinceWall.put(g, ctx.currentSystemTimeMs());
        counters.inc("groups.held");
    }

    /**
     * Emits held groups strictly in queue order (releaseAt, groupId), each once this partition's stream
     * time reached its releaseAt and its role's stats watermark reached its window start; stops at the
     * first that is not ready. On a wall tick, when the stats or this partition's input have stalled for
     * history.max.wait.ms / 2,
     * a group held for history.max.wait.ms goes out with the history available (logged, counted).
     */
    void release(long wallNow, boolean tick) {
        long streamNow = ctx.currentStreamTimeMs();
        java.util.function.Predicate<ReleaseQueue.Held> onTime =
                h -> h.releaseAt() <= streamNow && RolloutHistory.watermark(stats, h.role()) >= h.windowStart();
        // The usual case, on a record: nothing can leave yet. Only the head is asked (one global-store read; none when
        // the queue is empty): this runs for every input record.
        if (!tick && pending.headBlocked(onTime)) return;
        boolean stalled = tick && stalled(wallNow);
        java.util.Set<String> timedOut = new java.util.HashSet<>();
        List<ReleaseQueue.Held> ready = pending.takeReady(h -> {
            if (onTime.test(h)) return true;
            boolean late = stalled
                    && wallNow - heldSinceWall.getOrDefault(h.groupId(), lastStatsProgressWall) > s.stats().maxWaitMs();
            if (late) timedOut.add(h.groupId());
            return late;
        });
        // Advantages are read (read_committed) once committed: when the last held group leaves (the task caught up with
        // its input; in a replay, at its end), a commit is asked rather than waiting for commit.interval.ms.
        if (!ready.isEmpty() && pending.isEmpty()) ctx.commit();
        for (ReleaseQueue.Held h : ready) {
            if (timedOut.contains(h.groupId())) {
                counters.inc("groups.history-timeout");
                log.warn("group {} (window start {}) not releasable after {} ms and the stats stalled; emitted with the "
                        + "history available", h.groupId(), h.windowStart(), s.stats().maxWaitMs());
            }
            heldSinceWall.remove(h.groupId());
            emit(h.groupId(), buffer.get(h.groupId()), h.complete(), h.role(), h.windowStart());
        }
    }

    /**
     * On a wall tick: whether the input stopped, i.e. the stats have not moved, or this partition's stream time has
     * not, for history.max.wait.ms / 2 (the stats' progress is noted here, once per tick).
     */
    private boolean stalled(long wallNow) {
        long wm = Math.max(RolloutHistory.watermark(stats, Roles.THINKER), RolloutHistory.watermark(stats, Roles.VOTER));
        if (wm != lastStatsWm) {
            lastStatsWm = wm;
            lastStatsProgressWall = wallNow;
        }
        return wallNow - lastStatsProgressWall > s.stats().maxWaitMs() / 2
                || wallNow - lastStreamAdvanceWall > s.stats().maxWaitMs() / 2;
    }

    /**
     * Computes and forwards the advantages of a held group with the history as of {@code windowStart} (the last window
     * ending at or before it; Long.MAX_VALUE: the newest).
     */
    private void emit(String g, Group grp, boolean complete, String role, long windowStart) {
        List<GroupCredit.Episode> eps = grp.episodes();
        buffer.delete(g, grp);
        if (eps.isEmpty()) {  // cannot happen (held groups keep only usable episodes); never silently
            counters.inc("groups.unusable");
            log.error("held group {} lost its episodes", g);
            return;
        }
        var hist = GroupCredit.historyMap(role, RolloutHistory.historyAt(stats, role, windowStart));
        log.debug("emit group {} window start {} with {} history {}", g, windowStart, role, hist);
        GroupCredit.Result res = GroupCredit.compute(eps, complete, hist, s.rule());
        for (AgentAdvantage a : res.advantages()) {
            try {
                ValueDomains.checkAdvantage(a.getAdvantage());
            } catch (RejectedRecordException e) {  // never published: the learner would train on it
                deadLetterGroup(g, grp, "group " + g + ": trajectory " + a.getTrajectoryId() + " agent " + a.getAgentId()
                        + ": " + e.getMessage() + " (history " + hist + "); group not credited");
                return;
            }
        }
        Instant eventTime = Instant.ofEpochMilli(GroupCredit.eventTime(eps));
        for (AgentAdvantage a : res.advantages()) {
            a.setCreatedAtMs(eventTime);
            ctx.forward(new Record<>(g, new CreditOutput.Advantage(a), eventTime.toEpochMilli()));
        }
        counters.inc(complete ? "groups.complete" : "groups.incomplete");
        for (int i = 0; i < res.advantages().size(); i++) counters.inc("advantages");
        recent.record(g, complete, res.advantages());
    }

    /** Every buffered record of a group to the DLQ with one reason (counted as groups.non-finite). */
    private void deadLetterGroup(String g, Group grp, String reason) {
        counters.inc("groups.non-finite");
        log.error("{}", reason);
        for (GroupBuffer.Entry e : grp.entries.values()) dlq.buffered(g, e, reason, "NonFinite");
        buffer.delete(g, grp);
    }
}
