package dev.ccpo.credit;

import dev.ccpo.avro.RolloutStats;
import dev.ccpo.credit.CreditMath.History;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ccpo.rollout-stats readable by every group task (a global store, also rebuilt through this
 * processor on restore): {@code s|role|windowEnd} -> the role's history after that window, and
 * {@code w|role} -> the role's stats watermark (closedThroughMs). Records without history fields
 * (other writers) are skipped: they cannot serve normalization.
 */
final class GlobalStatsProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger log = LoggerFactory.getLogger(GlobalStatsProcessor.class);
    private final AvroSerde<RolloutStats> serde;
    private final String topic;
    private KeyValueStore<String, String> store;

    private final String applicationId;
    private boolean foreignLogged;

    GlobalStatsProcessor(AvroSerde<RolloutStats> serde, String topic, String applicationId) {
        this.serde = serde;
        this.applicationId = applicationId;
        this.topic = topic;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(CreditTopology.GLOBAL_STATS_STORE);
    }

    @Override
    public void process(Record<String, byte[]> rec) {
        // Only this application's own stats: a replay or the live pipeline may share the topic.
        var h = rec.headers().lastHeader(StatsProcessor.WRITER_HEADER);
        if (h == null || !applicationId.equals(new String(h.value(), java.nio.charset.StandardCharsets.UTF_8))) {
            if (!foreignLogged) log.info("{}: skipping stats written by other applications (header {})", topic, StatsProcessor.WRITER_HEADER);
            foreignLogged = true;
            return;
        }
        RolloutStats r;
        try {
            r = serde.deserialize(topic, rec.value());
        } catch (RuntimeException e) {
            log.warn("undecodable record on {} skipped by the stats reader: {}", topic, e.getMessage());
            return;
        }
        if (r == null || r.getCreditHistory() == null || r.getClosedThroughMs() == null) return;
        String role = r.getRole();
        log.debug("global store: {} window end {} closedThrough {}", role, r.getWindowEndMs().toEpochMilli(), r.getClosedThroughMs());
        store.put("s|" + role + "|" + StatsProcessor.pad(r.getWindowEndMs().toEpochMilli()),
                enc(r.getCreditHistory()) + "/" + enc(r.getJointHistory()) + "/" + enc(r.getCounterfactualHistory()));
        String w = store.get("w|" + role);
        if (w == null || Long.parseLong(w) < r.getClosedThroughMs()) store.put("w|" + role, Long.toString(r.getClosedThroughMs()));
    }

    private static String enc(dev.ccpo.avro.History h) {
        return h == null ? "0,0.0,0.0" : h.getCount() + "," + h.getMean() + "," + h.getVariance();
    }

    /** The role's stats watermark: every window ending at or before it is closed and visible here. */
    static long watermark(ReadOnlyKeyValueStore<String, String> store, String role) {
        String w = store.get("w|" + role);
        return w == null ? Long.MIN_VALUE : Long.parseLong(w);
    }

    /** {credit, joint, cf} history as of the last window ending at or before {@code atMs}; empty if none. */
    static History[] historyAt(ReadOnlyKeyValueStore<String, String> store, String role, long atMs) {
        try (KeyValueIterator<String, String> it = store.reverseRange("s|" + role + "|", "s|" + role + "|" + StatsProcessor.pad(atMs))) {
            if (atMs < 0 || !it.hasNext()) return new History[]{History.EMPTY, History.EMPTY, History.EMPTY};
            KeyValue<String, String> kv = it.next();
            String[] p = kv.value.split("/");
            return new History[]{GroupProcessor.parseHistory(p[0]), GroupProcessor.parseHistory(p[1]), GroupProcessor.parseHistory(p[2])};
        }
    }
}
