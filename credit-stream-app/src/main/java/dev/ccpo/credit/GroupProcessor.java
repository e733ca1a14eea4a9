package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.credit.GroupBuffer.Group;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.kafka.RejectedRecordException;
import dev.ccpo.worker.ValueDomains;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Buffers each group (trajectories + counterfactuals, both keyed by groupId, co-partitioned) in a
 * persistent store until complete or past its grace period; then sends the group's raw signals to the
 * stats task and holds the group until the stats watermark of its role passes the group's window start
 * (read back from ccpo.rollout-stats through a global store), and emits one AgentAdvantage per
 * (trajectory, agent) normalized with the history as of the last window closed before the group's window.
 * Input is raw bytes so that undecodable records can be dead-lettered here. Output (to the topology's
 * splitter): AgentAdvantage (key groupId), DeadLetter (key bytes), StatsMessage (key role).
 * <p>Determinism: decisions that change a record use stream time; the wall clock only acts when the
 * input stops (grace expiry) or the stats stall (history.max.wait.ms), and both are logged and counted.
 */
final class GroupProcessor implements Processor<byte[], byte[], Object, Object> {
    private static final Logger log = LoggerFactory.getLogger(GroupProcessor.class);
    static final String SEP = GroupBuffer.SEP;

    private final CreditSettings s;
    private final AvroSerde<Trajectory> trajSerde;
    private final AvroSerde<CounterfactualOutcome> cfSerde;
    private final GroupBuffer buffer;   // g|T|idx -> trajectory, g|C|trajectoryId|agent -> counterfactual, decoded once
    private final CreditCounters counters;
    private ProcessorContext<Object, Object> ctx;
    private final GroupLedger ledger = new GroupLedger();  // open and done groups
    private final DeadLetters dlq;
    private final ReleaseQueue pending = new ReleaseQueue();
    private final RecentGroups recent = new RecentGroups();  // the last 100 groups, for HTTP
    private KeyValueStore<String, RolloutHistory.Entry> stats;  // global: ccpo.rollout-stats read back (RolloutHistory)
    private int partition;
    // In memory, for wall-clock fallbacks only (never in a record): what the stream and the stats last did.
    private long lastSentWm = Long.MIN_VALUE, lastStreamTime = Long.MIN_VALUE, lastStreamAdvanceWall;
    private long lastStatsWm = Long.MIN_VALUE, lastStatsProgressWall;
    private final Map<String, Long> heldSinceWall = new java.util.HashMap<>();

    GroupProcessor(CreditSettings s, AvroSerde<Trajectory> trajSerde, AvroSerde<CounterfactualOutcome> cfSerde,
                   CreditCounters counters) {
        this.s = s;
        this.trajSerde = trajSerde;
        this.cfSerde = cfSerde;
        this.buffer = new GroupBuffer(trajSerde, cfSerde, s.trajectoriesTopic(), s.counterfactualsTopic());
        this.counters = counters;
        this.dlq = new DeadLetters(s, counters);
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.ctx = context;
        buffer.init(context.getStateStore(CreditTopology.BUFFER_STORE));
        ledger.init(context.getStateStore(CreditTopology.OPEN_STORE), context.getStateStore(CreditTopology.DONE_STORE),
                context.getStateStore(CreditTopology.DONE_INDEX_STORE));
        dlq.init(context);
        pending.init(context.getStateStore(CreditTopology.PENDING_STORE));
        recent.init(context.getStateStore(CreditTopology.RECENT_STORE));
        stats = context.getStateStore(CreditTopology.GLOBAL_STATS_STORE);
        partition = context.taskId().partition();
        lastStreamAdvanceWall = lastStatsProgressWall = context.currentSystemTimeMs();
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.WALL_CLOCK_TIME, this::wallTick);
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.STREAM_TIME, now -> streamTick());
    }

    /** Stream time: expire incomplete groups past group.grace.ms and forget emitted ids past dedup.retention.ms. */
    private void streamTick() {
        long now = ctx.currentStreamTimeMs();
        for (String g : ledger.expired(now, s.groupGraceMs(), false)) expire(g, "stream time");
        long cutoff = now - s.stats().dedupRetentionMs();
        if (cutoff > 0) ledger.forgetDoneBefore(cutoff);
    }

    /**
     * Wall clock: only when the input has stopped (no stream-time progress for group.grace.ms) are open
     * groups expired; held groups are released when the stats advanced, or, when the stats have stalled
     * for history.max.wait.ms / 2 and the group waited history.max.wait.ms, with the history available.
     */
    private void wallTick(long wallNow) {
        if (wallNow - lastStreamAdvanceWall > s.groupGraceMs()) {
            for (String g : ledger.expired(wallNow, s.groupGraceMs(), true)) expire(g, "wall clock, input stopped");
        }
        release(wallNow, true);
    }

    private void expire(String g, String why) {
        Group grp = buffer.get(g);
        counters.inc("groups.expired");
        log.warn("group {} incomplete after grace {} ms ({}): {} of {} trajectories buffered", g, s.groupGraceMs(), why,
                grp.trajs.size(), grp.size);
        hold(g, grp, false);
    }

    @Override
    public void process(Record<byte[], byte[]> rec) {
        if (lastStreamTime == Long.MIN_VALUE) log.debug("partition {}: first record, timestamp {}", partition, rec.timestamp());
        handle(rec);
        long now = ctx.currentStreamTimeMs();
        if (now > lastStreamTime) {
            lastStreamTime = now;
            lastStreamAdvanceWall = ctx.currentSystemTimeMs();
        }
        // Watermark to the stats task, at most every tenth of a window of stream time (signals carry it too).
        if (lastSentWm == Long.MIN_VALUE || now >= lastSentWm + Math.max(1, s.stats().windowMs() / 10)) {
            lastSentWm = now;
            ctx.forward(new Record<>("~wm", StatsMessage.watermark(partition, now), rec.timestamp()));
        }
        release(ctx.currentSystemTimeMs(), false);
    }

    private void handle(Record<byte[], byte[]> rec) {
        RecordMetadata md = ctx.recordMetadata().orElseThrow();
        boolean isTraj = md.topic().equals(s.trajectoriesTopic());
        if (rec.value() == null) {  // heartbeat: advances this partition's stream time (watermark), carries no data
            counters.inc("heartbeats");
            return;
        }
        String g;
        String key;
        Trajectory t = null;
        CounterfactualOutcome c = null;
        try {
            if (isTraj) {
                t = trajSerde.deserialize(md.topic(), rec.value());
                g = t.getGroupId();
            } else {
                c = cfSerde.deserialize(md.topic(), rec.value());
                g = c.getGroupId();
            }
            if (g == null) throw new IllegalArgumentException("null record");
        } catch (RuntimeException e) {
            dlq.record(rec, md, "undecodable " + (isTraj ? "Trajectory" : "CounterfactualOutcome") + ": " + e.getMessage(), "Deserialization");
            return;
        }
        if (ledger.isDone(g)) {
            dlq.record(rec, md, "group " + g + " was already emitted; late or duplicate record", "LateRecord");
            return;
        }
        Group grp = buffer.get(g);
        String invalid = isTraj ? GroupChecks.invalid(t, g, grp, s.domains()) : GroupChecks.invalid(c, g, grp, s.domains());
        if (invalid != null) {
            dlq.record(rec, md, invalid, "Invalid");
            return;
        }
        String mismatch = isTraj ? GroupChecks.joinConflict(grp, t) : GroupChecks.joinConflict(grp, c);
        if (mismatch != null) {
            dlq.record(rec, md, mismatch, "JoinMismatch");
            return;
        }
        key = isTraj ? GroupBuffer.trajKey(g, t.getGroupIndex()) : GroupBuffer.cfKey(g, c.getTrajectoryId(), c.getMaskedAgentId());
        if (grp.has(key)) {
            String id = isTraj ? t.getTrajectoryId() : c.getTrajectoryId() + " masked " + c.getMaskedAgentId();
            log.warn("duplicate {} {} in group {} ignored (dead-lettered)", isTraj ? "trajectory" : "counterfactual", id, g);
            dlq.record(rec, md, "duplicate " + id, "Duplicate");
            return;
        }
        if (isTraj) buffer.put(g, key, rec.value(), t);
        else buffer.put(g, key, rec.value(), c);
        ledger.opened(g, rec.timestamp(), ctx.currentSystemTimeMs());
        if (grp.complete()) hold(g, grp, true);
    }

    /**
     * A group is done buffering (complete, or expired with what it has): leftovers go to the DLQ, the
     * usable episodes stay buffered, their raw signals go to the stats task, and the group waits in
     * {@code pending} (ordered by window start, then id) for the stats of the windows before it.
     */
    private void hold(String g, Group grp, boolean complete) {
        List<GroupCredit.Episode> eps = grp.episodes();
        List<String> keep = new ArrayList<>();
        for (var e : grp.entries.entrySet()) {
            String k = e.getKey(), why;
            boolean t = e.getValue().traj() != null;
            if (t) {
                int idx = e.getValue().traj().getGroupIndex();
                if (grp.usable(idx)) { keep.add(k); continue; }
                why = "trajectory " + idx + " of group " + g + " lacks counterfactuals after grace";
            } else {
                CounterfactualOutcome c = e.getValue().cf();
                int idx = c.getGroupIndex();
                if (grp.usable(idx) && grp.paired(idx).get(c.getMaskedAgentId()) == c) { keep.add(k); continue; }
                why = "counterfactual for unseen trajectory " + idx + " (" + c.getTrajectoryId() + ") of group " + g
                        + " after grace: no trajectory of the group has that id and groupIndex";
            }
            dlq.buffered(g, e.getValue(), why, "Incomplete");
        }
        buffer.retain(g, grp, keep);
        long now = ctx.currentStreamTimeMs();
        ledger.completed(g, now);
        if (eps.isEmpty()) {
            counters.inc("groups.unusable");
            log.warn("group {} had nothing usable; dead-lettered", g);
            return;
        }
        long eventTime = eventTime(eps);
        String role = GroupCredit.role(grp.topology);
        Stat[] sig = GroupCredit.rawSignals(eps);
        for (Stat x : sig) {
            if (!Double.isFinite(x.mean()) || !Double.isFinite(x.m2())) {  // never folded into the history
                deadLetterGroup(g, grp, "group " + g + " has non-finite credit signals " + x.encode() + "; not counted, not credited");
                return;
            }
        }
        lastSentWm = Math.max(lastSentWm, now);
        ctx.forward(new Record<>(role, StatsMessage.signals(partition, now, eventTime, role, sig[0], sig[1], sig[2], g),
                eventTime));
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

    /** Event time of a group = max createdAt of its trajectories (no wall clock in records). */
    private static long eventTime(List<GroupCredit.Episode> eps) {
        return eps.stream().mapToLong(e -> e.trajectory().getCreatedAtMs().toEpochMilli()).max().orElseThrow();
    }

    /**
     * Emits held groups strictly in queue order (releaseAt, groupId), each once this partition's stream
     * time reached its releaseAt and its role's stats watermark reached its window start; stops at the
     * first that is not ready. On a wall tick, when the stats or this partition's input have stalled for
     * history.max.wait.ms / 2,
     * a group held for history.max.wait.ms goes out with the history available (logged, counted).
     */
    private void release(long wallNow, boolean tick) {
        long wm = Math.max(RolloutHistory.watermark(stats, GroupCredit.THINKER_ROLE),
                RolloutHistory.watermark(stats, GroupCredit.VOTER_ROLE));
        boolean advanced = wm != lastStatsWm;
        if (advanced) {
            lastStatsWm = wm;
            lastStatsProgressWall = wallNow;
        }
        // Input stopped: the stats have not moved, or this partition's stream time has not, for max wait / 2.
        boolean stalled = wallNow - lastStatsProgressWall > s.stats().maxWaitMs() / 2
                || wallNow - lastStreamAdvanceWall > s.stats().maxWaitMs() / 2;
        long streamNow = ctx.currentStreamTimeMs();
        java.util.function.Predicate<ReleaseQueue.Held> onTime =
                h -> h.releaseAt() <= streamNow && RolloutHistory.watermark(stats, h.role()) >= h.windowStart();
        if (!tick && pending.headBlocked(onTime)) return;  // the usual case: nothing can leave yet, no store scan
        java.util.Set<String> timedOut = new java.util.HashSet<>();
        List<ReleaseQueue.Held> ready = pending.takeReady(h -> {
            if (onTime.test(h)) return true;
            boolean late = tick && stalled
                    && wallNow - heldSinceWall.getOrDefault(h.groupId(), lastStatsProgressWall) > s.stats().maxWaitMs();
            if (late) timedOut.add(h.key());
            return late;
        });
        for (ReleaseQueue.Held h : ready) {
            if (timedOut.contains(h.key())) {
                counters.inc("groups.history-timeout");
                log.warn("group {} (window start {}) not releasable after {} ms and the stats stalled; emitted with the "
                        + "history available", h.groupId(), h.windowStart(), s.stats().maxWaitMs());
            }
            heldSinceWall.remove(h.groupId());
            emit(h.groupId(), buffer.get(h.groupId()), h.complete(), h.role(), h.windowStart());
        }
    }

    /** Computes and forwards the advantages of a held group with the history as of its window start. */
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
        Instant eventTime = Instant.ofEpochMilli(eventTime(eps));
        for (AgentAdvantage a : res.advantages()) {
            a.setCreatedAtMs(eventTime);
            ctx.forward(new Record<>(g, a, eventTime.toEpochMilli()));
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
