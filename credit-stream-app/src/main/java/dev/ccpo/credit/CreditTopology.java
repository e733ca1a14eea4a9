package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.List;

/**
 * The credit topology, built by one pure static method:
 * <pre>
 *  ccpo.trajectories ──┐ bytes, key groupId (co-partitioned, N partitions)
 *  ccpo.counterfactuals┴► group-processor [credit-buffer, credit-open, credit-done(+by-time), credit-pending, credit-recent]
 *        │  (reads global store credit-rollout-stats)
 *        ├─► ccpo.advantages (groupId → AgentAdvantage)   once the group's window has its stats
 *        ├─► ccpo.dlq        (original key → DeadLetter)
 *        └─► &lt;app.id&gt;-stats-repartition (ONE partition; role → raw signal moments + source watermark)
 *                 └─► stats-processor [credit-stats-progress, -windows, -history] ──► ccpo.rollout-stats (role → RolloutStats)
 *  ccpo.rollout-stats ──► global store credit-rollout-stats ((role, windowEnd) → history; (role, ∞) → watermark)
 * </pre>
 * Every store holds typed keys and values ({@link StateSerdes}); the group task's outputs ({@link CreditOutput}) go to
 * their sinks by typed branches.
 */
public final class CreditTopology {
    public static final String BUFFER_STORE = "credit-buffer", OPEN_STORE = "credit-open", DONE_STORE = "credit-done",
            DONE_INDEX_STORE = "credit-done-by-time", PENDING_STORE = "credit-pending", RECENT_STORE = "credit-recent",
            STATS_PROGRESS_STORE = "credit-stats-progress", STATS_WINDOWS_STORE = "credit-stats-windows",
            STATS_HISTORY_STORE = "credit-stats-history", GLOBAL_STATS_STORE = "credit-rollout-stats";
    /** Repartition name: the internal topic is {@code <application.id>-stats-repartition}. */
    public static final String STATS_REPARTITION = "stats";

    static String statsRepartitionTopic(String applicationId) {
        return applicationId + "-" + STATS_REPARTITION + "-repartition";
    }

    /** Every store's changelog topic (Streams' name for it) → its partitions. */
    static java.util.Map<String, Integer> changelogTopics(String applicationId, int inputPartitions) {
        java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
        groupStores().forEach(store -> m.put(applicationId + "-" + store.name() + "-changelog", inputPartitions));
        statsStores().forEach(store -> m.put(applicationId + "-" + store.name() + "-changelog", 1));
        return m;
    }

    private CreditTopology() { }

    /**
     * Stores live in memory, backed by their changelogs (restored from them on start): what they hold is bounded by
     * stream time (open and held groups, ids for dedup.retention.ms, the last 100 groups), and a RocksDB round trip
     * per record was the largest cost of a replay after decoding.
     */
    private static <K, V> StoreBuilder<KeyValueStore<K, V>> kv(String name, Serde<K> k, Serde<V> v) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), k, v);
    }

    /** The group task's stores (one task per input partition). */
    static List<StoreBuilder<?>> groupStores() {
        return List.of(kv(BUFFER_STORE, StateSerdes.BUFFER_KEY, Serdes.ByteArray()),
                kv(OPEN_STORE, Serdes.String(), StateSerdes.OPENED), kv(DONE_STORE, Serdes.String(), Serdes.Long()),
                kv(DONE_INDEX_STORE, StateSerdes.TIME_KEY, Serdes.ByteArray()), kv(PENDING_STORE, StateSerdes.TIME_KEY, StateSerdes.HOLD),
                kv(RECENT_STORE, Serdes.Long(), StateSerdes.RECENT_GROUP));
    }

    /** The stats task's stores (one task). */
    static List<StoreBuilder<?>> statsStores() {
        return List.of(kv(STATS_PROGRESS_STORE, Serdes.Integer(), Serdes.Long()),
                kv(STATS_WINDOWS_STORE, StateSerdes.WINDOW_KEY, StateSerdes.MOMENTS),
                kv(STATS_HISTORY_STORE, Serdes.String(), StateSerdes.ROLE_HISTORY));
    }

    public static Topology build(CreditSettings s, AvroSerde<Trajectory> trajectories,
                                 AvroSerde<CounterfactualOutcome> counterfactuals, AvroSerde<AgentAdvantage> advantages,
                                 AvroSerde<DeadLetter> deadLetters, AvroSerde<RolloutStats> rolloutStats,
                                 CreditCounters counters) {
        StreamsBuilder b = new StreamsBuilder();
        List<StoreBuilder<?>> groupStores = groupStores(), statsStores = statsStores();
        groupStores.forEach(b::addStateStore);
        statsStores.forEach(b::addStateStore);
        // Global stores are restored from their topic through the processor, so no changelog. This one is written by
        // the global thread while the stream threads read it; the in-memory store's range iterator reads each value
        // from an unsynchronized TreeMap (seen: a null value under credit.release=on-complete), so it is RocksDB,
        // whose iterators read a consistent snapshot. Writes are one per closed window and role.
        b.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(GLOBAL_STATS_STORE), StateSerdes.HISTORY_KEY,
                        StateSerdes.HISTORY_ENTRY).withLoggingDisabled(), s.statsTopic(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("rollout-stats-global-source"),
                () -> new GlobalStatsProcessor(rolloutStats, s.statsTopic(), s.applicationId()));

        KStream<byte[], byte[]> in = b.stream(List.of(s.trajectoriesTopic(), s.counterfactualsTopic()),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("inputs"));
        KStream<String, CreditOutput> out = in.process(() -> new GroupProcessor(s, trajectories, counterfactuals, counters),
                Named.as("group-processor"), groupStores.stream().map(StoreBuilder::name).toArray(String[]::new));

        out.split(Named.as("output-"))
                .branch((k, v) -> v instanceof CreditOutput.Advantage, Branched.withConsumer(ks -> ks
                        .mapValues(v -> ((CreditOutput.Advantage) v).value(), Named.as("advantage"))
                        .to(s.advantagesTopic(), Produced.with(Serdes.String(), advantages)), "advantages"))
                .branch((k, v) -> v instanceof CreditOutput.DeadLettered, Branched.withConsumer(ks -> ks
                        .map((k, v) -> {
                            CreditOutput.DeadLettered d = (CreditOutput.DeadLettered) v;
                            return KeyValue.pair(d.key(), d.value());
                        }, Named.as("dead-letter"))
                        .to(s.dlqTopic(), Produced.with(Serdes.ByteArray(), deadLetters)), "dead-letters"))
                // Stats messages cross the repartition topic as bytes, decoded in the stats task, which counts one it
                // cannot read (stats.excluded) instead of failing in the source's deserializer.
                .branch((k, v) -> v instanceof CreditOutput.Signals, Branched.withConsumer(ks -> ks
                        .mapValues(v -> ((CreditOutput.Signals) v).value().encode(), Named.as("signals"))
                        .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName(STATS_REPARTITION)
                                .withNumberOfPartitions(1))
                        .process(() -> new StatsProcessor(s, counters), Named.as("stats-processor"),
                                statsStores.stream().map(StoreBuilder::name).toArray(String[]::new))
                        .to(s.statsTopic(), Produced.with(Serdes.String(), rolloutStats)), "signals"))
                .noDefaultBranch();  // every output is one of the three kinds
        return b.build();
    }
}
