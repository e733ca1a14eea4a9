package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.ByteBuffer;

/**
 * The global store {@code credit-rollout-stats}, typed: ccpo.rollout-stats as the group tasks read it.
 * {@code s|role|windowEnd} → the role's history {credit, joint, counterfactual} after that window;
 * {@code w|role} → the role's stats watermark (closedThroughMs: every window ending at or before it is here).
 * Written only by {@link GlobalStatsProcessor}; read here (the history lookup of the release step).
 */
final class RolloutHistory {
    private RolloutHistory() { }

    /** One store value: a watermark (histories empty) or a window's histories (closedThroughMs as published). */
    record Entry(long closedThroughMs, History credit, History joint, History counterfactual) {
        History[] histories() { return new History[]{credit, joint, counterfactual}; }
    }

    static String windowKey(String role, long windowEndMs) { return "s|" + role + "|" + StatsProcessor.pad(windowEndMs); }

    static String watermarkKey(String role) { return "w|" + role; }

    /** The role's stats watermark, Long.MIN_VALUE before its first closed window. */
    static long watermark(ReadOnlyKeyValueStore<String, Entry> store, String role) {
        Entry w = store.get(watermarkKey(role));
        return w == null ? Long.MIN_VALUE : w.closedThroughMs();
    }

    /** {credit, joint, cf} history as of the last window ending at or before {@code atMs}; empty if none. */
    static History[] historyAt(ReadOnlyKeyValueStore<String, Entry> store, String role, long atMs) {
        try (KeyValueIterator<String, Entry> it = store.reverseRange("s|" + role + "|", windowKey(role, atMs))) {
            if (atMs < 0 || !it.hasNext()) return new History[]{History.EMPTY, History.EMPTY, History.EMPTY};
            return it.next().value.histories();
        }
    }

    /** Fixed binary form, 80 bytes: closedThroughMs, then count, mean, variance of each history (internal, no contract). */
    static Serde<Entry> serde() {
        Serializer<Entry> ser = (topic, e) -> {
            if (e == null) return null;
            ByteBuffer b = ByteBuffer.allocate(80).putLong(e.closedThroughMs());
            for (History h : e.histories()) b.putLong(h.count()).putDouble(h.mean()).putDouble(h.variance());
            return b.array();
        };
        Deserializer<Entry> de = (topic, bytes) -> {
            if (bytes == null) return null;
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long closed = b.getLong();
            History[] h = new History[3];
            for (int i = 0; i < 3; i++) h[i] = new History(b.getLong(), b.getDouble(), b.getDouble());
            return new Entry(closed, h[0], h[1], h[2]);
        };
        return Serdes.serdeFrom(ser, de);
    }
}
