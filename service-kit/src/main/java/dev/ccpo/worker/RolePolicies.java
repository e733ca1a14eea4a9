package dev.ccpo.worker;

import dev.ccpo.weights.WeightsBlob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One model per policy role, plus the last {@code keepVersions} weight versions of each role
 * (the counterfactual worker re-runs a trajectory with the version that generated it when it still has it).
 * Swapping happens only when the caller calls {@link #refresh} (between groups, never mid-episode).
 * A blob whose import fails is refused: logged, counted, the old weights stay in use.
 *
 * <p>Generic in the model type so that this package needs no dependency on the policy module;
 * the apps pass a loader that builds a ChatModel from the base checkpoint plus the blob.
 * Not thread-safe: one worker thread owns it.
 */
public final class RolePolicies<M extends AutoCloseable> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RolePolicies.class);

    /** Builds the model of a role from a verified weights blob; throws if the blob does not fit. */
    @FunctionalInterface
    public interface Loader<M> {
        M load(String role, byte[] weights) throws Exception;
    }

    /**
     * Writes a verified weights blob into an existing model in place (no checkpoint read, no new buffers). It must
     * check that the blob fits before it changes anything, so that a refused blob leaves the model as it was.
     */
    @FunctionalInterface
    public interface Reloader<M> {
        void reload(M model, byte[] weights) throws Exception;
    }

    /** Source of newer weights, normally {@code WeightsFollower::newerThan}. */
    @FunctionalInterface
    public interface NewerWeights {
        Optional<WeightsBlob> newerThan(String role, long currentVersion);
    }

    /** A model and the policy version of its weights. */
    public record Versioned<M>(long version, M model) { }

    private final Map<String, Deque<Versioned<M>>> byRole = new LinkedHashMap<>();
    private final Loader<M> loader;
    private final Reloader<M> reloader;
    private final int keepVersions;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong swaps = new AtomicLong();

    /** @param initial the base model of each role, at {@code initialVersion} (0 for the base checkpoint) */
    public RolePolicies(Map<String, M> initial, long initialVersion, Loader<M> loader, int keepVersions) {
        this(initial, initialVersion, loader, null, keepVersions);
    }

    /**
     * With a {@code reloader}, a role that already keeps {@code keepVersions} models writes a new version into its
     * oldest one in place instead of loading a new model and closing the oldest: a swap then costs one copy of the
     * weights, not a read of the base checkpoint.
     */
    public RolePolicies(Map<String, M> initial, long initialVersion, Loader<M> loader, Reloader<M> reloader, int keepVersions) {
        if (keepVersions < 1) throw new IllegalArgumentException("weights.keep.versions must be >= 1, got " + keepVersions);
        if (initial.isEmpty()) throw new IllegalArgumentException("no roles given");
        this.loader = loader;
        this.reloader = reloader;
        this.keepVersions = keepVersions;
        initial.forEach((role, m) -> {
            Deque<Versioned<M>> d = new ArrayDeque<>();
            d.addFirst(new Versioned<>(initialVersion, m));
            byRole.put(role, d);
        });
    }

    public Set<String> roles() { return byRole.keySet(); }

    /** The newest model of the role. */
    public Versioned<M> current(String role) { return deque(role).peekFirst(); }

    /** The model with exactly this version if kept, else the newest. */
    public Versioned<M> forVersion(String role, long version) {
        for (Versioned<M> v : deque(role)) if (v.version() == version) return v;
        return deque(role).peekFirst();
    }

    /** Oldest version in use across roles: the data version the worker currently generates at. */
    public long version() {
        long min = Long.MAX_VALUE;
        for (Deque<Versioned<M>> d : byRole.values()) min = Math.min(min, d.peekFirst().version());
        return min;
    }

    /** Swaps in newer weights for every role that has them. Returns the number of roles swapped. */
    public int refresh(NewerWeights source) {
        int swapped = 0;
        for (Map.Entry<String, Deque<Versioned<M>>> e : byRole.entrySet()) {
            String role = e.getKey();
            Deque<Versioned<M>> d = e.getValue();
            Optional<WeightsBlob> blob = source.newerThan(role, d.peekFirst().version());
            if (blob.isEmpty()) continue;
            WeightsBlob b = blob.get();
            Versioned<M> recycled = reloader != null && d.size() >= keepVersions ? d.removeLast() : null;
            M model;
            try {
                if (recycled != null) {
                    reloader.reload(recycled.model(), b.bytes());
                    model = recycled.model();
                } else {
                    model = loader.load(role, b.bytes());
                }
            } catch (Exception ex) {
                if (recycled != null) d.addLast(recycled); // the reloader changed nothing: it keeps its version
                refused.incrementAndGet();
                log.error("refusing weights v{} for role {} ({} bytes, sha256 {}): import failed, keeping v{}: {}",
                        b.policyVersion(), role, b.bytes().length, b.sha256(), d.peekFirst().version(), ex.toString());
                continue;
            }
            d.addFirst(new Versioned<>(b.policyVersion(), model));
            while (d.size() > keepVersions) closeQuietly(d.removeLast().model());
            swaps.incrementAndGet();
            swapped++;
            log.info("role {} now at policy version {}", role, b.policyVersion());
        }
        return swapped;
    }

    public long refused() { return refused.get(); }

    public long swaps() { return swaps.get(); }

    private Deque<Versioned<M>> deque(String role) {
        Deque<Versioned<M>> d = byRole.get(role);
        if (d == null) throw new IllegalArgumentException("unknown role '" + role + "', have " + byRole.keySet());
        return d;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing an evicted model failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        // A model may serve several roles (shared policy): close each instance once.
        java.util.Set<Object> closed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Deque<Versioned<M>> d : byRole.values())
            for (Versioned<M> v : d) if (closed.add(v.model())) closeQuietly(v.model());
    }
}
