package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.credit.CreditMath.History;
import dev.ccpo.serde.AvroSerde;
import dev.ccpo.serde.DeadLetterPublisher;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
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
 * Buffers each group (trajectories + counterfactuals, both keyed by groupId, co-partitioned) in a
 * persistent store until complete or past its grace period, then emits one AgentAdvantage per
 * (trajectory, agent). Input is raw bytes so that undecodable records can be dead-lettered here.
 */
final class GroupProcessor implements Processor<byte[], byte[], Object, Object> {
    private static final Logger log = LoggerFactory.getLogger(GroupProcessor.class);
    static final String SEP = "\u0001";

    private final CreditSettings s;
    private final AvroSerde<Trajectory> trajSerde;
    private final AvroSerde<CounterfactualOutcome> cfSerde;
    private final CreditCounters counters;
    private ProcessorContext<Object, Object> ctx;
    private KeyValueStore<String, byte[]> buffer;   // g|T|idx -> trajectory, g|C|idx|agent -> counterfactual
    private KeyValueStore<String, String> open;     // g -> "firstStreamTs,firstWallMs"
    private KeyValueStore<String, Long> done;       // g -> stream time of emission (late records -> DLQ)
    private KeyValueStore<String, String> history;  // signal -> "count,mean,variance"
    private KeyValueStore<String, String> recent;   // zero-padded emission seq -> JSON summary of a group

    GroupProcessor(CreditSettings s, AvroSerde<Trajectory> trajSerde, AvroSerde<CounterfactualOutcome> cfSerde,
                   CreditCounters counters) {
        this.s = s;
        this.trajSerde = trajSerde;
        this.cfSerde = cfSerde;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.ctx = context;
        buffer = context.getStateStore(CreditTopology.BUFFER_STORE);
        open = context.getStateStore(CreditTopology.OPEN_STORE);
        done = context.getStateStore(CreditTopology.DONE_STORE);
        history = context.getStateStore(CreditTopology.HISTORY_STORE);
        recent = context.getStateStore(CreditTopology.RECENT_STORE);
        try (KeyValueIterator<String, String> it = recent.reverseAll()) {
            recentSeq = it.hasNext() ? Long.parseLong(it.next().key) + 1 : 0;  // continue after a restore
        }
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.WALL_CLOCK_TIME, now -> expire(false));
        context.schedule(Duration.ofMillis(s.punctuateMs()), PunctuationType.STREAM_TIME, now -> expire(false));
    }

    @Override
    public void process(Record<byte[], byte[]> rec) {
        RecordMetadata md = ctx.recordMetadata().orElseThrow();
        boolean isTraj = md.topic().equals(s.trajectoriesTopic());
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
            dlq(rec, md, "undecodable " + (isTraj ? "Trajectory" : "CounterfactualOutcome") + ": " + e.getMessage(), "Deserialization");
            return;
        }
        if (done.get(g) != null) {
            dlq(rec, md, "group " + g + " was already emitted; late or duplicate record", "LateRecord");
            return;
        }
        String invalid = isTraj ? validate(t, g) : validate(c, g);
        if (invalid != null) {
            dlq(rec, md, invalid, "Invalid");
            return;
        }
        key = isTraj ? trajKey(g, t.getGroupIndex()) : cfKey(g, c.getGroupIndex(), c.getMaskedAgentId());
        if (buffer.get(key) != null) {
            String id = isTraj ? t.getTrajectoryId() : c.getTrajectoryId() + " masked " + c.getMaskedAgentId();
            log.warn("duplicate {} {} in group {} ignored (dead-lettered)", isTraj ? "trajectory" : "counterfactual", id, g);
            dlq(rec, md, "duplicate " + id, "Duplicate");
            return;
        }
        buffer.put(key, rec.value());
        if (open.get(g) == null) open.put(g, rec.timestamp() + "," + ctx.currentSystemTimeMs());
        Group grp = load(g);
        if (grp.complete()) emit(g, grp, true);
    }

    private String validate(Trajectory t, String g) {
        if (!Double.isFinite(t.getReward())) return "non-finite reward " + t.getReward() + " in " + t.getTrajectoryId();
        if (t.getGroupIndex() < 0 || t.getGroupIndex() >= t.getGroupSize())
            return "groupIndex " + t.getGroupIndex() + " outside 0.." + (t.getGroupSize() - 1) + " in " + t.getTrajectoryId();
        if (t.getTurns().isEmpty()) return "trajectory " + t.getTrajectoryId() + " has no turns";
        return sizeMismatch(g, t.getGroupSize(), t.getTopology());
    }

    private String validate(CounterfactualOutcome c, String g) {
        if (!Double.isFinite(c.getMeanReward())) return "non-finite meanReward " + c.getMeanReward() + " in " + c.getTrajectoryId();
        if (c.getGroupIndex() < 0 || c.getGroupIndex() >= c.getGroupSize())
            return "groupIndex " + c.getGroupIndex() + " outside 0.." + (c.getGroupSize() - 1) + " in " + c.getTrajectoryId();
        return sizeMismatch(g, c.getGroupSize(), c.getTopology());
    }

    /** Every record of a group must agree on groupSize and topology with what is already buffered. */
    private String sizeMismatch(String g, int size, Topology topo) {
        Group grp = load(g);
        if (grp.size >= 0 && grp.size != size) return "groupSize " + size + " differs from " + grp.size + " in group " + g;
        if (grp.topology != null && grp.topology != topo) return "topology " + topo + " differs from " + grp.topology + " in group " + g;
        return null;
    }

    static String trajKey(String g, int idx) { return g + SEP + "T" + SEP + String.format("%06d", idx); }

    static String cfKey(String g, int idx, int agent) {
        return g + SEP + "C" + SEP + String.format("%06d", idx) + SEP + String.format("%06d", agent);
    }

    /** What is buffered for one group, in key (= groupIndex, agent) order. */
    private final class Group {
        final TreeMap<Integer, Trajectory> trajs = new TreeMap<>();
        final TreeMap<Integer, TreeMap<Integer, CounterfactualOutcome>> cfs = new TreeMap<>();
        final List<String> keys = new ArrayList<>();
        final Map<String, byte[]> raw = new TreeMap<>();
        int size = -1;
        Topology topology;

        boolean usable(int idx) {
            Trajectory t = trajs.get(idx);
            if (t == null) return false;
            Map<Integer, CounterfactualOutcome> m = cfs.getOrDefault(idx, new TreeMap<>());
            if (t.getTopology() == Topology.THINK_REASON)
                return m.values().stream().anyMatch(c -> "thinker".equals(c.getMaskedRole()));
            return t.getTurns().stream().allMatch(turn -> m.containsKey(turn.getAgentId()));
        }

        boolean complete() {
            if (size < 0 || trajs.size() != size) return false;
            for (int i = 0; i < size; i++) if (!usable(i)) return false;
            return true;
        }
    }

    private Group load(String g) {
        Group grp = new Group();
        try (KeyValueIterator<String, byte[]> it = buffer.prefixScan(g + SEP, new StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                String[] parts = kv.key.substring(g.length() + 1).split(SEP);
                int idx = Integer.parseInt(parts[1]);
                grp.keys.add(kv.key);
                grp.raw.put(kv.key, kv.value);
                if (parts[0].equals("T")) {
                    Trajectory t = trajSerde.deserialize(s.trajectoriesTopic(), kv.value);
                    grp.trajs.put(idx, t);
                    grp.size = t.getGroupSize();
                    grp.topology = t.getTopology();
                } else {
                    CounterfactualOutcome c = cfSerde.deserialize(s.counterfactualsTopic(), kv.value);
                    grp.cfs.computeIfAbsent(idx, k -> new TreeMap<>()).put(Integer.parseInt(parts[2]), c);
                    grp.size = c.getGroupSize();
                    grp.topology = c.getTopology();
                }
            }
        }
        return grp;
    }

    /** Emits every group past its grace period (stream time or wall clock) with what it has. */
    private void expire(boolean unused) {
        long streamNow = ctx.currentStreamTimeMs();
        long wallNow = ctx.currentSystemTimeMs();
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, String> it = open.all()) {
            while (it.hasNext()) {
                KeyValue<String, String> kv = it.next();
                String[] p = kv.value.split(",");
                if (streamNow - Long.parseLong(p[0]) > s.groupGraceMs() || wallNow - Long.parseLong(p[1]) > s.groupGraceMs())
                    expired.add(kv.key);
            }
        }
        for (String g : expired) {
            Group grp = load(g);
            counters.inc("groups.expired");
            log.warn("group {} incomplete after grace {} ms: {} of {} trajectories buffered", g, s.groupGraceMs(),
                    grp.trajs.size(), grp.size);
            emit(g, grp, false);
        }
    }

    /** Computes and forwards the advantages of the usable episodes; unusable leftovers go to the DLQ. */
    private void emit(String g, Group grp, boolean complete) {
        List<GroupCredit.Episode> eps = new ArrayList<>();
        for (var e : grp.trajs.entrySet()) {
            if (grp.usable(e.getKey())) eps.add(new GroupCredit.Episode(e.getValue(), grp.cfs.get(e.getKey())));
        }
        // Leftovers of an incomplete group: trajectories lacking counterfactuals, counterfactuals lacking a trajectory.
        for (String k : grp.keys) {
            int idx = Integer.parseInt(k.substring(g.length() + 1).split(SEP)[1]);
            if (!grp.usable(idx)) {
                boolean t = k.startsWith(g + SEP + "T");
                String topic = t ? s.trajectoriesTopic() : s.counterfactualsTopic();
                String why = t ? "trajectory " + idx + " of group " + g + " lacks counterfactuals after grace"
                        : "counterfactual for unseen trajectory " + idx + " of group " + g + " after grace";
                dlqRaw(g, topic, grp.raw.get(k), why, "Incomplete");
            }
            buffer.delete(k);
        }
        open.delete(g);
        done.put(g, ctx.currentStreamTimeMs());
        if (eps.isEmpty()) {
            counters.inc("groups.unusable");
            log.warn("group {} had nothing usable; dead-lettered", g);
            return;
        }
        Map<String, History> hist = readHistory();
        GroupCredit.Result res = GroupCredit.compute(eps, complete, hist, s.mode(), s.alpha(), s.eta());
        // Event time of the group = max createdAt of its trajectories, so replays are byte-identical.
        Instant eventTime = eps.stream().map(e -> e.trajectory().getCreatedAtMs()).max(Instant::compareTo).orElseThrow();
        for (AgentAdvantage a : res.advantages()) {
            a.setCreatedAtMs(eventTime);
            ctx.forward(new Record<>(g, a, eventTime.toEpochMilli()), CreditTopology.ADVANTAGES_SINK);
        }
        foldHistory(hist, res.signals());
        counters.inc(complete ? "groups.complete" : "groups.incomplete");
        for (int i = 0; i < res.advantages().size(); i++) counters.inc("advantages");
        recordRecent(g, complete, res.advantages());
    }

    private Map<String, History> readHistory() {
        Map<String, History> m = new TreeMap<>();
        for (String k : List.of(GroupCredit.DELTA, GroupCredit.JOINT, GroupCredit.SOLO, GroupCredit.VOTER)) {
            String v = history.get(k);
            if (v != null) m.put(k, parseHistory(v));
        }
        return m;
    }

    static History parseHistory(String v) {
        String[] p = v.split(",");
        return new History(Long.parseLong(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]));
    }

    static String formatHistory(History h) { return h.count() + "," + h.mean() + "," + h.variance(); }

    /** Normalize-then-update: the group was normalized with the history before it, now fold it in as one batch. */
    private void foldHistory(Map<String, History> hist, Map<String, double[]> signals) {
        for (String k : new java.util.TreeSet<>(signals.keySet())) {
            double[] x = signals.get(k);
            if (x.length == 0) continue;
            double m = CreditMath.mean(x), v = 0;
            for (double d : x) v += (d - m) * (d - m);
            History h = hist.getOrDefault(k, History.EMPTY).fold(x.length, m, v / x.length, s.historyDecay());
            history.put(k, formatHistory(h));
        }
    }

    private void recordRecent(String g, boolean complete, List<AgentAdvantage> advs) {
        StringBuilder sb = new StringBuilder("{\"groupId\":\"").append(Json.escape(g)).append("\",\"complete\":")
                .append(complete).append(",\"advantages\":[");
        for (int i = 0; i < advs.size(); i++) {
            AgentAdvantage a = advs.get(i);
            if (i > 0) sb.append(',');
            sb.append("{\"trajectoryId\":\"").append(Json.escape(a.getTrajectoryId())).append("\",\"agentId\":")
                    .append(a.getAgentId()).append(",\"role\":\"").append(Json.escape(a.getRole()))
                    .append("\",\"advantage\":").append(Json.num(a.getAdvantage())).append(",\"shapedReward\":")
                    .append(Json.num(a.getShapedReward())).append('}');
        }
        sb.append("]}");
        long seq = recentSeq++;
        recent.put(String.format("%019d", seq), sb.toString());
        recent.delete(String.format("%019d", seq - RECENT_KEEP));
    }

    static final int RECENT_KEEP = 100;
    private long recentSeq;

    private void dlq(Record<byte[], byte[]> rec, RecordMetadata md, String reason, String code) {
        counters.inc("dlq." + code);
        DeadLetter d = DeadLetterPublisher.of(md.topic(), md.partition(), md.offset(), rec.key(), rec.value(), reason,
                code, s.applicationId());
        log.warn("dead-lettering {}-{}@{}: {}", md.topic(), md.partition(), md.offset(), reason);
        ctx.forward(new Record<>(rec.key(), d, rec.timestamp()), CreditTopology.DLQ_SINK);
    }

    private void dlqRaw(String g, String topic, byte[] value, String reason, String code) {
        counters.inc("dlq." + code);
        byte[] key = g.getBytes(StandardCharsets.UTF_8);
        log.warn("dead-lettering from {}: {}", topic, reason);
        DeadLetter d = DeadLetterPublisher.of(topic, -1, -1, key, value, reason, code, s.applicationId());
        ctx.forward(new Record<>(key, d, ctx.currentStreamTimeMs()), CreditTopology.DLQ_SINK);
    }
}
