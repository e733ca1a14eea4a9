package dev.ccpo.credit;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The release queue of held groups, store {@code credit-pending}: releaseAt|groupId → complete|role|windowStart,
 * in key order = (releaseAt, groupId). Groups leave strictly in that order. Its head is remembered in memory so
 * that a record arriving while the head cannot leave costs no store scan (the head is re-read after every change
 * and after init, so the store stays the truth).
 */
final class ReleaseQueue {
    /** One held group: when it may leave, and with which history (role's history as of windowStart). */
    record Held(String key, long releaseAt, String groupId, boolean complete, String role, long windowStart) { }

    private KeyValueStore<String, String> store;
    private Held head;          // the first held group when known; null = unknown, read the store
    private boolean empty;      // known empty

    void init(KeyValueStore<String, String> store) {
        this.store = store;
        head = null;
        empty = false;
    }

    void add(long releaseAt, String g, boolean complete, String role, long windowStart) {
        store.put(StatsProcessor.pad(releaseAt) + "|" + g, (complete ? "1" : "0") + "|" + role + "|" + windowStart);
        head = null;
        empty = false;
    }

    /** True when the queue's head, if known, cannot leave by {@code canLeave}: no need to scan. */
    boolean headBlocked(Predicate<Held> canLeave) {
        return empty || head != null && !canLeave.test(head);
    }

    /**
     * Removes and returns the groups at the front of the queue that may leave, in order, up to the first that may not
     * ({@code canLeave} is asked once per group, in order).
     */
    List<Held> takeReady(Predicate<Held> canLeave) {
        List<Held> ready = new ArrayList<>();
        head = null;
        empty = true;
        try (KeyValueIterator<String, String> it = store.all()) {
            while (it.hasNext()) {
                Held h = parse(it.next());
                if (!canLeave.test(h)) {
                    head = h;
                    empty = false;
                    break;
                }
                ready.add(h);
            }
        }
        for (Held h : ready) store.delete(h.key());
        return ready;
    }

    private static Held parse(KeyValue<String, String> kv) {
        int bar = kv.key.indexOf('|');
        String[] v = kv.value.split("\\|");
        return new Held(kv.key, Long.parseLong(kv.key.substring(0, bar)), kv.key.substring(bar + 1), v[0].equals("1"), v[1],
                Long.parseLong(v[2]));
    }
}
