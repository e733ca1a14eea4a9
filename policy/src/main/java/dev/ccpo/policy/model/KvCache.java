package dev.ccpo.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Per-layer keys and values ([B, kvHeads, S, headDim], after RoPE) of the tokens seen so far. The cache owns
 * its arrays in its own manager, so decode steps can run in a short-lived sub-manager and only the grown cache
 * survives the step.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    public KvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    /** Number of positions already cached. */
    public long length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Replaces layer's arrays by the grown ones (moved into the cache's manager, the old ones freed). */
    void put(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        k.attach(manager);
        v.attach(manager);
        keys[layer] = k;
        values[layer] = v;
        if (oldK != null && oldK != k) oldK.close();
        if (oldV != null && oldV != v) oldV.close();
        if (layer == keys.length - 1) length = k.getShape().get(2);
    }

    @Override
    public void close() {
        manager.close();
    }
}
