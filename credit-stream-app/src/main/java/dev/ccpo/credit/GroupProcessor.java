package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.credit.GroupBuffer.Group;
import dev.ccpo.credit.StateSerdes.BufferKey;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Buffers each group (trajectories + counterfactuals, both keyed by groupId, co-partitioned) in a
 * persistent store until complete or past its grace period; then sends the group's raw signals to the
 * stats task and holds the group until the stats watermark of its role passes the group's window start
 * (read back from ccpo.rollout-stats through a global store), and emits one AgentAdvantage per
 * (trajectory, agent) normalized with the history as of the last window closed before the group's window.
 * Input is raw bytes so that undecodable records can be dead-lettered here. Output: {@link CreditOutput}, one kind
 * per sink.
 * <p>Determinism: decisions that change a record use stream time; the wall clock only acts when the
 * input stops (grace expiry) or the stats stall (history.max.wait.ms), and both are logged and counted.
 */
final class GroupProcessor implements Processor<byte[], byte[], String, CreditOutput> {
    private static final Logger log = LoggerFactory.getLogger(GroupProcessor.class);
    /**
     * Period of the stream-time checks (grace, dedup retention: minutes by default). Not punctuate.ms: a replay runs
     * through minutes of stream time per second, and each check scans the open groups.
     */
    static final Duration STREAM_TICK = Duration.ofSeconds(1);
    private final CreditSettings s;
    private final AvroSerde<Trajectory> trajSerde;
    private final AvroSerde<CounterfactualOutcome> cfSerde;
    private final GroupBuffer buffer;   // (g, idx) -> trajectory, (g, trajectoryId, agent) -> counterfactual, decoded once
    private final CreditCounters counters;
    private ProcessorContext<String, CreditOutput> ctx;
    private final GroupLedger ledger = new GroupLedger();  // open and done groups
    private final DeadLetters dlq;
    private final GroupRelease release;  // complete groups: signals to the stats task, release queue, advantages
    private int partition;
    private long lastStreamTime = Long.MIN_VALUE;

    GroupProcessor(CreditSettings s, AvroSerde<Trajectory> trajSerde, AvroSerde<CounterfactualOutcome> cfSerde,
                   CreditCounters counters) {
        this.s = s;
        this.trajSerde = trajSerde;
        this.cfSerde = cfSerde;
        this.buffer = new GroupBuffer(trajSerde, cfSerde, s.trajectoriesTopic(), s.counterfactualsTopic());
        this.counters = counters;
        this.dlq = new DeadLetters(s, counters);
        this.release = new GroupRelease(s, counters, buffer, ledger, dlq);
    }

    @Override
    public void init(ProcessorContext<String, CreditOutput> context) {
        this.ctx = context;
        buffer.init(context.getStateStore(CreditTopology.BUFFER_STORE));
        ledger.init(context.getStateStore(CreditTopology.OPEN_STORE), context.getStateStore(CreditTopology.DONE_STORE),
                context.getStateStore(CreditTopology.DONE_INDEX_STORE));
        dlq.init(context);
        release.init(context);
        partition = context.taskId().partition();
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.WALL_CLOCK_TIME, this::wallTick);
        context.schedule(STREAM_TICK, PunctuationType.STREAM_TIME, now -> streamTick());
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
        if (wallNow - release.lastStreamAdvanceWall() > s.groupGraceMs()) {
            for (String g : ledger.expired(wallNow, s.groupGraceMs(), true)) expire(g, "wall clock, input stopped");
        }
        release.release(wallNow, true);
    }

    private void expire(String g, String why) {
        Group grp = buffer.get(g);
        counters.inc("groups.expired");
        log.warn("group {} incomplete after grace {} ms ({}): {} of {} trajectories buffered", g, s.groupGraceMs(), why,
                grp.trajs.size(), grp.size);
        release.hold(g, grp, false);
    }

    @Override
    public void process(Record<byte[], byte[]> rec) {
        if (lastStreamTime == Long.MIN_VALUE) log.debug("partition {}: first record, timestamp {}", partition, rec.timestamp());
        handle(rec);
        long now = ctx.currentStreamTimeMs();
        if (now > lastStreamTime) {
            lastStreamTime = now;
            release.streamAdvanced(ctx.currentSystemTimeMs());
        }
        release.maybeSendWatermark(now, rec.timestamp());
        release.release(ctx.currentSystemTimeMs(), false);
    }

    private void handle(Record<byte[], byte[]> rec) {
        RecordMetadata md = ctx.recordMetadata().orElseThrow();
        boolean isTraj = md.topic().equals(s.trajectoriesTopic());
        if (rec.value() == null) {  // heartbeat: advances this partition's stream time (watermark), carries no data
            counters.inc("heartbeats");
            return;
        }
        String g;
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
        BufferKey key = isTraj ? BufferKey.trajectory(g, t.getGroupIndex())
                : BufferKey.counterfactual(g, c.getTrajectoryId(), c.getMaskedAgentId());
        if (grp.has(key)) {
            String id = isTraj ? t.getTrajectoryId() : c.getTrajectoryId() + " masked " + c.getMaskedAgentId();
            log.warn("duplicate {} {} in group {} ignored (dead-lettered)", isTraj ? "trajectory" : "counterfactual", id, g);
            dlq.record(rec, md, "duplicate " + id, "Duplicate");
            return;
        }
        if (isTraj) buffer.put(key, rec.value(), t);
        else buffer.put(key, rec.value(), c);
        ledger.opened(g, rec.timestamp(), ctx.currentSystemTimeMs());
        if (grp.complete()) release.hold(g, grp, true);
    }

}
