package dev.ccpo.credit;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of the credit service (per app instance, shown on /stats); keys are reason codes. */
public final class CreditCounters {
    private final Map<String, AtomicLong> counts = new TreeMap<>();

    public synchronized void inc(String name) { counts.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet(); }

    /** Makes a counter show on /stats at 0 before its first increment. */
    public synchronized void register(String name) { counts.computeIfAbsent(name, k -> new AtomicLong()); }

    public synchronized long get(String name) { AtomicLong a = counts.get(name); return a == null ? 0 : a.get(); }

    public synchronized Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
}
