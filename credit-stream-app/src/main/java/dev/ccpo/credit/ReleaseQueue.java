package dev.ccpo.credit;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The release queue of held groups, store {@code credit-pending}: releaseAt|groupId → complete|role|windowStart,
 * in key order = (releaseAt, groupId). Groups leave strictly in that order. The store is the truth (changelogged);
 * a mirror in memory, read from it at init, is what the queue walks, so a record that releases nothing costs no
 * store scan (a scan of the in-memory store copies the keys it covers).
 */
final class ReleaseQueue {
    /** One held group: when it may leave, and with which history (role's history as of windowStart). */
    record Held(String key, long releaseAt, String groupId, boolean complete, String role, long windowStart) { }

    /** The store's key order (UTF-8 bytes). */
    private static final java.util.Comparator<String> STORE_ORDER = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private KeyValueStore<String, String> store;
    private final TreeMap<String, Held> queue = new TreeMap<>(STORE_ORDER);

    void init(KeyValueStore<String, String> store) {
        this.store = store;
        queue.clear();
        try (KeyValueIterator<String, String> it = store.all()) {
            while (it.hasNext()) {
                Held h = parse(it.next());
                queue.put(h.key(), h);
            }
        }
    }

    void add(long releaseAt, String g, boolean complete, String role, long windowStart) {
        String key = StatsProcessor.pad(releaseAt) + "|" + g, value = (complete ? "1" : "0") + "|" + role + "|" + windowStart;
        store.put(key, value);
        queue.put(key, parse(KeyValue.pair(key, value)));
    }

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
            store.delete(h.key());
        }
        return ready;
    }

    private static Held parse(KeyValue<String, String> kv) {
        int bar = kv.key.indexOf('|');
        String[] v = kv.value.split("\\|");
        return new Held(kv.key, Long.parseLong(kv.key.substring(0, bar)), kv.key.substring(bar + 1), v[0].equals("1"), v[1],
                Long.parseLong(v[2]));
    }
}
