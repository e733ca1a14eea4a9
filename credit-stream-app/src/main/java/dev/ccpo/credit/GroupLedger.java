package dev.ccpo.credit;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Which groups are open and which are done. Stores: {@code credit-open} g → "firstStreamTs,firstWallMs" (grace);
 * {@code credit-done} g → stream time it completed (a later record of it is late or a duplicate);
 * {@code credit-done-by-time} streamTs|g (forgets done ids after dedup.retention.ms of stream time: bounded).
 */
final class GroupLedger {
    private KeyValueStore<String, String> open;
    private KeyValueStore<String, Long> done;
    private KeyValueStore<String, String> doneByTime;

    void init(KeyValueStore<String, String> open, KeyValueStore<String, Long> done, KeyValueStore<String, String> doneByTime) {
        this.open = open;
        this.done = done;
        this.doneByTime = doneByTime;
    }

    boolean isDone(String g) { return done.get(g) != null; }

    /** The group's first buffered record: when, in stream time and wall clock (a later one changes nothing). */
    void opened(String g, long streamTs, long wallMs) {
        if (open.get(g) == null) open.put(g, streamTs + "," + wallMs);
    }

    /** Open groups opened more than {@code graceMs} before {@code now}, by stream time or by wall clock. */
    List<String> expired(long now, long graceMs, boolean wallClock) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, String> it = open.all()) {
            while (it.hasNext()) {
                KeyValue<String, String> kv = it.next();
                if (now - Long.parseLong(kv.value.split(",")[wallClock ? 1 : 0]) > graceMs) expired.add(kv.key);
            }
        }
        return expired;
    }

    void completed(String g, long streamNow) {
        open.delete(g);
        done.put(g, streamNow);
        doneByTime.put(StatsProcessor.pad(streamNow) + "|" + g, "");
    }

    /** Forgets the groups done before {@code cutoff} (stream time). */
    void forgetDoneBefore(long cutoff) {
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, String> it = doneByTime.range("", StatsProcessor.pad(cutoff))) {
            while (it.hasNext()) old.add(it.next().key);
        }
        for (String k : old) {
            doneByTime.delete(k);
            done.delete(k.substring(k.indexOf('|') + 1));
        }
    }
}
