package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The credit topology, built by one pure static method:
 * <pre>
 *  ccpo.trajectories ─┐ (bytes, key groupId)
 *                     ├─► group-processor [credit-buffer, credit-open, credit-done, credit-history, credit-recent]
 *  ccpo.counterfactuals┘        ├─► ccpo.advantages (key groupId, AgentAdvantage)
 *                               └─► ccpo.dlq (original key, DeadLetter)
 * </pre>
 */
public final class CreditTopology {
    public static final String BUFFER_STORE = "credit-buffer", OPEN_STORE = "credit-open", DONE_STORE = "credit-done",
            HISTORY_STORE = "credit-history", RECENT_STORE = "credit-recent";
    static final String ADVANTAGES_SINK = "advantages-sink", DLQ_SINK = "dlq-sink", PROCESSOR = "group-processor";

    private CreditTopology() { }

    public static Topology build(CreditSettings s, AvroSerde<Trajectory> trajectories,
                                 AvroSerde<CounterfactualOutcome> counterfactuals, AvroSerde<AgentAdvantage> advantages,
                                 AvroSerde<DeadLetter> deadLetters, CreditCounters counters) {
        Topology t = new Topology();
        t.addSource("trajectories-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), s.trajectoriesTopic());
        t.addSource("counterfactuals-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), s.counterfactualsTopic());
        t.addProcessor(PROCESSOR, () -> new GroupProcessor(s, trajectories, counterfactuals, counters),
                "trajectories-source", "counterfactuals-source");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUFFER_STORE), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OPEN_STORE), Serdes.String(), Serdes.String()), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DONE_STORE), Serdes.String(), Serdes.Long()), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE), Serdes.String(), Serdes.String()), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RECENT_STORE), Serdes.String(), Serdes.String()), PROCESSOR);
        t.addSink(ADVANTAGES_SINK, s.advantagesTopic(), new StringSerializer(), advantages.serializer(), PROCESSOR);
        t.addSink(DLQ_SINK, s.dlqTopic(), new ByteArraySerializer(), deadLetters.serializer(), PROCESSOR);
        return t;
    }
}
