package dev.ccpo.credit;

import dev.ccpo.credit.StateSerdes.Hold;
import dev.ccpo.credit.StateSerdes.TimeKey;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The release queue of held groups, store {@code credit-pending}: (releaseAt, groupId) → {@link Hold}, in key order.
 * Groups leave strictly in that order. The store is the truth (changelogged); a mirror in memory, read from it at
 * init, is what the queue walks, so a record that releases nothing costs no store scan (a scan of the in-memory
 * store copies the keys it covers).
 */
final class ReleaseQueue {
    /** One held group: when it may leave, and with which history (role's history as of windowStart). */
    record Held(long releaseAt, String groupId, boolean complete, String role, long windowStart) {
        TimeKey key() { return new TimeKey(releaseAt, groupId); }
    }

    private KeyValueStore<TimeKey, Hold> store;
    private final TreeMap<TimeKey, Held> queue = new TreeMap<>(TimeKey.ORDER);

    void init(KeyValueStore<TimeKey, Hold> store) {
        this.store = store;
        queue.clear();
        try (KeyValueIterator<TimeKey, Hold> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<TimeKey, Hold> kv = it.next();
                queue.put(kv.key, held(kv.key, kv.value));
            }
        }
    }

    void add(long releaseAt, String g, boolean complete, String role, long windowStart) {
        TimeKey key = new TimeKey(releaseAt, g);
        Hold hold = new Hold(complete, role, windowStart);
        store.put(key, hold);
        queue.put(key, held(key, hold));
    }

    boolean isEmpty() { return queue.isEmpty(); }

    /** True when the queue is empty or its head cannot leave by {@code canLeave}. */
    boolean headBlocked(Predicate<Held> canLeave) {
        return queue.isEmpty() || !canLeave.test(queue.firstEntry().getValue());
    }

    /**
     * Removes and returns the groups at the front of the queue that may leave, in order, up to the first that may not
     * ({@code canLeave} is asked once per group, in order).
     */
    List<Held> takeReady(Predicate<Held> canLeave) {
        List<Held> ready = new ArrayList<>();
        for (Iterator<Held> it = queue.values().iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (!canLeave.test(h)) break;
            ready.add(h);
            it.remove();
            StateSerdes.remove(store, h.key());
        }
        return ready;
    }

    private static Held held(TimeKey key, Hold h) {
        return new Held(key.timeMs(), key.id(), h.complete(), h.role(), h.windowStart());
    }
}
