package dev.ccpo.credit;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.config.Roles;
import dev.ccpo.credit.StateSerdes.BufferKey;
import dev.ccpo.serde.AvroSerde;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The group buffer: the store {@code credit-buffer} (a {@link StateSerdes.BufferKey} → the record's bytes as read) is
 * the truth, restored from its changelog; in front of it a bounded in-memory cache of decoded groups, so a record is
 * decoded once when it arrives rather than on every later arrival of its group. A group that is not cached (evicted,
 * or after a restart) is read back from the store and decoded once.
 * The cache is only valid for the processor's life between init() calls: Streams re-inits a revived task
 * after restoring its stores, and {@link #init} drops the cache then.
 */
final class GroupBuffer {
    /** Groups kept decoded: about a window's worth of held groups in a replay; beyond it, read back from the store. */
    static final int CACHED_GROUPS = 2048;

    private final AvroSerde<Trajectory> trajSerde;
    private final AvroSerde<CounterfactualOutcome> cfSerde;
    private final String trajTopic, cfTopic;
    private KeyValueStore<BufferKey, byte[]> store;
    private final Map<String, Group> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Group> e) { return size() > CACHED_GROUPS; }
    };

    GroupBuffer(AvroSerde<Trajectory> trajSerde, AvroSerde<CounterfactualOutcome> cfSerde, String trajTopic, String cfTopic) {
        this.trajSerde = trajSerde;
        this.cfSerde = cfSerde;
        this.trajTopic = trajTopic;
        this.cfTopic = cfTopic;
    }

    void init(KeyValueStore<BufferKey, byte[]> store) {
        this.store = store;
        cache.clear();
    }

    /** The group as buffered (empty when nothing is). */
    Group get(String g) {
        Group grp = cache.get(g);
        if (grp == null) {
            grp = load(g);
            cache.put(g, grp);
        }
        return grp;
    }

    void put(BufferKey key, byte[] raw, Trajectory t) {
        store.put(key, raw);
        get(key.groupId()).add(key, raw, t, null);
    }

    void put(BufferKey key, byte[] raw, CounterfactualOutcome c) {
        store.put(key, raw);
        get(key.groupId()).add(key, raw, null, c);
    }

    /** Keeps only the given keys of the group (the rest are deleted from the store). */
    void retain(String g, Group grp, List<BufferKey> keep) {
        Group kept = new Group();
        for (var e : grp.entries.entrySet()) {
            if (keep.contains(e.getKey())) kept.add(e.getKey(), e.getValue().raw, e.getValue().traj, e.getValue().cf);
            else StateSerdes.remove(store, e.getKey());
        }
        cache.put(g, kept);
    }

    /** Deletes every buffered record of the group. */
    void delete(String g, Group grp) {
        for (BufferKey k : grp.entries.keySet()) StateSerdes.remove(store, k);
        cache.remove(g);
    }

    private Group load(String g) {
        Group grp = new Group();
        try (KeyValueIterator<BufferKey, byte[]> it = store.prefixScan(g, StateSerdes.BUFFER_PREFIX)) {
            while (it.hasNext()) {
                KeyValue<BufferKey, byte[]> kv = it.next();
                if (kv.key.isTrajectory()) grp.add(kv.key, kv.value, trajSerde.deserialize(trajTopic, kv.value), null);
                else grp.add(kv.key, kv.value, null, cfSerde.deserialize(cfTopic, kv.value));
            }
        }
        return grp;
    }

    /** One buffered record: its bytes (for the DLQ) and its decoded value. */
    record Entry(byte[] raw, Trajectory traj, CounterfactualOutcome cf) { }

    /** What is buffered for one group: trajectories by groupIndex, counterfactuals by the trajectory id they name. */
    static final class Group {
        /** In the store's key order, so iteration and dead letters come in the order a store scan gives. */
        final TreeMap<BufferKey, Entry> entries = new TreeMap<>(BufferKey.ORDER);
        final TreeMap<Integer, Trajectory> trajs = new TreeMap<>();
        final TreeMap<String, TreeMap<Integer, CounterfactualOutcome>> cfsById = new TreeMap<>();
        int size = -1;
        Topology topology;

        private void add(BufferKey key, byte[] raw, Trajectory t, CounterfactualOutcome c) {
            entries.put(key, new Entry(raw, t, c));
            if (t != null) {
                trajs.put(t.getGroupIndex(), t);
                size = t.getGroupSize();
                topology = t.getTopology();
            } else {
                cfsById.computeIfAbsent(c.getTrajectoryId(), k -> new TreeMap<>()).put(c.getMaskedAgentId(), c);
                size = c.getGroupSize();
                topology = c.getTopology();
            }
        }

        boolean has(BufferKey key) { return entries.containsKey(key); }

        /** The counterfactuals paired with trajectory idx: those naming its id and its groupIndex, by masked agent. */
        TreeMap<Integer, CounterfactualOutcome> paired(int idx) {
            TreeMap<Integer, CounterfactualOutcome> m = new TreeMap<>();
            Trajectory t = trajs.get(idx);
            if (t == null) return m;
            cfsById.getOrDefault(t.getTrajectoryId(), new TreeMap<>()).forEach((agent, c) -> {
                if (c.getGroupIndex() == idx) m.put(agent, c);
            });
            return m;
        }

        boolean usable(int idx) {
            Trajectory t = trajs.get(idx);
            if (t == null) return false;
            Map<Integer, CounterfactualOutcome> m = paired(idx);
            if (t.getTopology() == Topology.THINK_REASON)
                return m.values().stream().anyMatch(c -> Roles.THINKER.equals(c.getMaskedRole()));
            return t.getTurns().stream().allMatch(turn -> m.containsKey(turn.getAgentId()));
        }

        boolean complete() {
            // Each trajectory needs a counterfactual of its own: a cheap bound first (this runs on every arrival).
            if (size < 0 || trajs.size() != size || entries.size() - trajs.size() < size) return false;
            for (int i = 0; i < size; i++) if (!usable(i)) return false;
            return true;
        }

        /** The usable episodes, by groupIndex. */
        List<GroupCredit.Episode> episodes() {
            List<GroupCredit.Episode> eps = new ArrayList<>();
            for (var e : trajs.entrySet()) {
                if (usable(e.getKey())) eps.add(new GroupCredit.Episode(e.getValue(), paired(e.getKey())));
            }
            return eps;
        }
    }
}
