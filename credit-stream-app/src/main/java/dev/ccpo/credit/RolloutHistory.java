package dev.ccpo.credit;

import dev.ccpo.credit.CreditMath.History;
import dev.ccpo.credit.StateSerdes.HistoryKey;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The global store {@code credit-rollout-stats}, typed: ccpo.rollout-stats as the group tasks read it.
 * (role, windowEnd) → the role's history {credit, joint, counterfactual} after that window;
 * (role, {@link HistoryKey#WATERMARK}) → the role's stats watermark (closedThroughMs: every window ending at or before
 * it is here). Written only by {@link GlobalStatsProcessor}; read here (the history lookup of the release step).
 */
final class RolloutHistory {
    private RolloutHistory() { }

    /** One store value: a watermark (histories empty) or a window's histories (closedThroughMs as published). */
    record Entry(long closedThroughMs, History credit, History joint, History counterfactual) {
        History[] histories() { return new History[]{credit, joint, counterfactual}; }
    }

    /** The role's stats watermark, Long.MIN_VALUE before its first closed window. */
    static long watermark(ReadOnlyKeyValueStore<HistoryKey, Entry> store, String role) {
        Entry w = store.get(HistoryKey.watermark(role));
        return w == null ? Long.MIN_VALUE : w.closedThroughMs();
    }

    /** {credit, joint, cf} history as of the last window ending at or before {@code atMs}; empty if none. */
    static History[] historyAt(ReadOnlyKeyValueStore<HistoryKey, Entry> store, String role, long atMs) {
        if (atMs < 0) return new History[]{History.EMPTY, History.EMPTY, History.EMPTY};
        try (KeyValueIterator<HistoryKey, Entry> it = store.reverseRange(new HistoryKey(role, Long.MIN_VALUE),
                new HistoryKey(role, Math.min(atMs, HistoryKey.WATERMARK - 1)))) {
            return it.hasNext() ? it.next().value.histories() : new History[]{History.EMPTY, History.EMPTY, History.EMPTY};
        }
    }
}
