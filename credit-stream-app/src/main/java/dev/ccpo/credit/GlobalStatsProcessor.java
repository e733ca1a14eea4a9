package dev.ccpo.credit;

import dev.ccpo.avro.RolloutStats;
import dev.ccpo.credit.CreditMath.History;
import dev.ccpo.credit.StateSerdes.HistoryKey;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ccpo.rollout-stats readable by every group task (a global store, also rebuilt through this
 * processor on restore), write-only: the layout and the reads are {@link RolloutHistory}'s. Records without
 * history fields (other writers) are skipped: they cannot serve normalization.
 */
final class GlobalStatsProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger log = LoggerFactory.getLogger(GlobalStatsProcessor.class);
    private final AvroSerde<RolloutStats> serde;
    private final String topic;
    private KeyValueStore<HistoryKey, RolloutHistory.Entry> store;

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
        store.put(new HistoryKey(role, r.getWindowEndMs().toEpochMilli()), new RolloutHistory.Entry(r.getClosedThroughMs(),
                history(r.getCreditHistory()), history(r.getJointHistory()), history(r.getCounterfactualHistory())));
        if (RolloutHistory.watermark(store, role) < r.getClosedThroughMs())
            store.put(HistoryKey.watermark(role),
                    new RolloutHistory.Entry(r.getClosedThroughMs(), History.EMPTY, History.EMPTY, History.EMPTY));
    }

    private static History history(dev.ccpo.avro.History h) {
        return h == null ? History.EMPTY : new History(h.getCount(), h.getMean(), h.getVariance());
    }
}
