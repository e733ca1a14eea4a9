package dev.ccpo.credit;

import dev.ccpo.credit.StateSerdes.Opened;
import dev.ccpo.credit.StateSerdes.TimeKey;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Which groups are open and which are done. Stores: {@code credit-open} g → {@link Opened} (grace);
 * {@code credit-done} g → stream time it completed (a later record of it is late or a duplicate);
 * {@code credit-done-by-time} (completed at, g) → nothing (forgets done ids after dedup.retention.ms of stream time:
 * bounded).
 */
final class GroupLedger {
    private static final byte[] NOTHING = new byte[0];
    private KeyValueStore<String, Opened> open;
    private KeyValueStore<String, Long> done;
    private KeyValueStore<TimeKey, byte[]> doneByTime;

    void init(KeyValueStore<String, Opened> open, KeyValueStore<String, Long> done, KeyValueStore<TimeKey, byte[]> doneByTime) {
        this.open = open;
        this.done = done;
        this.doneByTime = doneByTime;
    }

    boolean isDone(String g) { return done.get(g) != null; }

    /** The group's first buffered record: when, in stream time and wall clock (a later one changes nothing). */
    void opened(String g, long streamTs, long wallMs) {
        if (open.get(g) == null) open.put(g, new Opened(streamTs, wallMs));
    }

    /** Open groups opened more than {@code graceMs} before {@code now}, by stream time or by wall clock. */
    List<String> expired(long now, long graceMs, boolean wallClock) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Opened> it = open.all()) {
            while (it.hasNext()) {
                KeyValue<String, Opened> kv = it.next();
                if (now - (wallClock ? kv.value.wallMs() : kv.value.streamMs()) > graceMs) expired.add(kv.key);
            }
        }
        return expired;
    }

    void completed(String g, long streamNow) {
        StateSerdes.remove(open, g);
        done.put(g, streamNow);
        doneByTime.put(new TimeKey(streamNow, g), NOTHING);
    }

    /** Forgets the groups done before {@code cutoff} (stream time). */
    void forgetDoneBefore(long cutoff) {
        List<TimeKey> old = new ArrayList<>();
        try (KeyValueIterator<TimeKey, byte[]> it = doneByTime.range(new TimeKey(Long.MIN_VALUE, ""), new TimeKey(cutoff, ""))) {
            while (it.hasNext()) old.add(it.next().key);
        }
        for (TimeKey k : old) {
            StateSerdes.remove(doneByTime, k);
            StateSerdes.remove(done, k.id());
        }
    }
}
