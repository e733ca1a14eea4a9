package dev.ccpo.credit;

import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.serde.InMemorySchemaRegistryClient;
import dev.ccpo.serde.RecordSerdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Under exactly-once a window's statistics reach the held groups through two transactions (the stats repartition
 * topic, then ccpo.rollout-stats), and advantages reach their readers through a third: each side asks for a commit
 * when it wrote something another task waits for, instead of waiting for commit.interval.ms. Narrow unit tests with
 * Streams' MockProcessorContext, which records the request.
 */
class CommitRequestTest {
    /** The topology's own store builders, without changelogs (MockProcessorContext has no record collector). */
    static void addStores(MockProcessorContext<?, ?> ctx, List<StoreBuilder<?>> builders) {
        for (StoreBuilder<?> b : builders) {
            StateStore store = b.withLoggingDisabled().build();
            store.init(ctx.getStateStoreContext(), store);
            ctx.addStateStore(store);
        }
    }

    @Test
    void theStatsTaskAsksForACommitWhenItClosesAWindow_notBefore() {
        CreditSettings s = Fixtures.settings(CreditMode.CCPO);  // window 60 s, grace 0, one input partition
        MockProcessorContext<String, RolloutStats> ctx = new MockProcessorContext<>();
        ctx.setCurrentSystemTimeMs(0);
        addStores(ctx, CreditTopology.statsStores());
        StatsProcessor p = new StatsProcessor(s, new CreditCounters());
        p.init(ctx);
        p.process(new Record<>("~wm", StatsMessage.watermark(0, 1_000).encode(), 1_000));  // closed through 0: nothing
        ctx.resetCommit();
        p.process(new Record<>("~wm", StatsMessage.watermark(0, 59_999).encode(), 59_999));
        assertFalse(ctx.committed(), "no window closed yet");
        p.process(new Record<>("~wm", StatsMessage.watermark(0, 60_000).encode(), 60_000));
        assertTrue(ctx.committed(), "window [0, 60 s) closed");
        ctx.resetCommit();
        p.process(new Record<>("~wm", StatsMessage.watermark(0, 90_000).encode(), 90_000));
        assertFalse(ctx.committed(), "the same window closed: nothing new to publish");
    }

    @Test
    void theGroupTaskAsksForACommitWhenItsWatermarkLetsAWindowClose_andWhenItsLastHeldGroupLeaves() {
        CreditSettings s = Fixtures.settings(CreditMode.CCPO);
        RecordSerdes serdes = new RecordSerdes(new InMemorySchemaRegistryClient());
        MockProcessorContext<String, CreditOutput> ctx = new MockProcessorContext<>();
        ctx.setCurrentSystemTimeMs(0);
        addStores(ctx, CreditTopology.groupStores());
        // The global store as the group task reads it (in the topology it is RocksDB, restored from ccpo.rollout-stats).
        addStores(ctx, List.of(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(CreditTopology.GLOBAL_STATS_STORE),
                StateSerdes.HISTORY_KEY, StateSerdes.HISTORY_ENTRY)));
        GroupProcessor p = new GroupProcessor(s, serdes.trajectory(), serdes.counterfactual(), new CreditCounters());
        p.init(ctx);
        // One THINK_REASON group of one episode at 1 s: complete once its Thinker-masked counterfactual arrives.
        send(p, ctx, s.trajectoriesTopic(), serdes.trajectory().serialize(s.trajectoriesTopic(), Fixtures.thinkReason("g1", 0, 1, 1.0, 1_000)), 1_000);
        send(p, ctx, s.counterfactualsTopic(), serdes.counterfactual().serialize(s.counterfactualsTopic(),
                Fixtures.cf("g1", 0, 1, dev.ccpo.avro.Topology.THINK_REASON, 0, dev.ccpo.config.Roles.THINKER, 0.5, 1_000)), 1_000);
        assertFalse(ctx.committed(), "the group is held; no window can close yet");
        assertEquals(1, signals(ctx).size(), "its signals went to the stats task");
        send(p, ctx, s.trajectoriesTopic(), null, 60_000);  // heartbeat past window end + grace 0
        assertTrue(ctx.committed(), "this partition's watermark lets window [0, 60 s) close");
        ctx.resetCommit();
        send(p, ctx, s.trajectoriesTopic(), null, 61_000);
        assertFalse(ctx.committed(), "no further window end passed");
        // The stats of window [0, 60 s) come back through the global store: the held group leaves, and a commit is asked.
        KeyValueStore<StateSerdes.HistoryKey, RolloutHistory.Entry> global = ctx.getStateStore(CreditTopology.GLOBAL_STATS_STORE);
        var empty = CreditMath.History.EMPTY;
        global.put(new StateSerdes.HistoryKey(dev.ccpo.config.Roles.THINKER, 60_000), new RolloutHistory.Entry(60_000, empty, empty, empty));
        global.put(StateSerdes.HistoryKey.watermark(dev.ccpo.config.Roles.THINKER), new RolloutHistory.Entry(60_000, empty, empty, empty));
        send(p, ctx, s.trajectoriesTopic(), null, 62_000);
        assertTrue(ctx.forwarded().stream().anyMatch(f -> f.record().value() instanceof CreditOutput.Advantage), "released");
        assertTrue(ctx.committed(), "its last held group left: a commit is asked");
    }

    static void send(GroupProcessor p, MockProcessorContext<String, CreditOutput> ctx, String topic, byte[] value, long ts) {
        ctx.setRecordMetadata(topic, 0, 0);
        ctx.setCurrentStreamTimeMs(ts);
        p.process(new Record<>(new byte[0], value, ts));
    }

    static List<StatsMessage> signals(MockProcessorContext<String, CreditOutput> ctx) {
        return ctx.forwarded().stream().map(f -> f.record().value()).filter(v -> v instanceof CreditOutput.Signals)
                .map(v -> ((CreditOutput.Signals) v).value()).filter(m -> m.kind() == 'S').toList();
    }
}
