package dev.ccpo.policy.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;

/**
 * How many intra-op threads PyTorch uses in this JVM. PyTorch's default (one OpenMP thread per core) is a trap on a
 * shared machine: OpenMP workers busy-wait on each other, and with other processes on the same cores each small
 * matmul waits for a descheduled thread (the tiny model decoded 57x slower with two threads than with one here).
 * The automatic choice divides the cores among the PyTorch processes that share the machine and leaves one core
 * for the JVM's other threads (GC, Kafka clients) and the neighbours: max(1, cores / colocated - 1).
 */
public final class TorchThreads {
    /** Setting: intra-op threads, 0 = automatic. */
    public static final String THREADS_KEY = "pytorch.threads";
    /** Setting: PyTorch processes sharing this machine's cores, this one included. */
    public static final String COLOCATED_KEY = "pytorch.colocated";
    static final String PROPERTY = "ai.djl.pytorch.num_threads";
    static final String INTEROP_PROPERTY = "ai.djl.pytorch.num_interop_threads";

    private TorchThreads() {}

    /** Adds pytorch.threads and pytorch.colocated (default colocated) to a service's or command's settings. */
    public static ConfigSpec addKeys(ConfigSpec spec, int colocated) {
        return spec.integer(THREADS_KEY, 0, 0, 4096, "PyTorch intra-op threads; 0: automatic, max(1, cores / "
                        + COLOCATED_KEY + " - 1), or -D" + PROPERTY + " when given.")
                .integer(COLOCATED_KEY, colocated, 1, 4096, "PyTorch processes sharing this machine's cores, this one included "
                        + "(for the automatic thread count).");
    }

    /** apply(pytorch.threads, pytorch.colocated) of a config made with addKeys. */
    public static String apply(Config cfg) {
        return apply(cfg.integer(THREADS_KEY), cfg.integer(COLOCATED_KEY));
    }

    /** The automatic thread count for a machine with cores cores shared by colocated PyTorch processes. */
    public static int auto(int cores, int colocated) {
        return Math.max(1, cores / Math.max(1, colocated) - 1);
    }

    /**
     * Sets the intra-op threads before the engine starts (and again through the engine if it already runs); one inter-op
     * thread. requested 0 means automatic, unless -Dai.djl.pytorch.num_threads was given, which is then kept.
     * Returns a line for the start-up log saying what was chosen and why.
     */
    public static synchronized String apply(int requested, int colocated) {
        int cores = Runtime.getRuntime().availableProcessors();
        String why;
        int n;
        if (requested > 0) {
            n = requested;
            why = THREADS_KEY + "=" + requested;
        } else if (Integer.getInteger(PROPERTY) != null && Integer.getInteger(PROPERTY) > 0) {
            n = Integer.getInteger(PROPERTY);
            why = "-D" + PROPERTY;
        } else {
            n = auto(cores, colocated);
            why = "automatic: " + cores + " cores, " + colocated + " PyTorch process(es) on them, one core left free";
        }
        System.setProperty(PROPERTY, Integer.toString(n));
        if (System.getProperty(INTEROP_PROPERTY) == null) System.setProperty(INTEROP_PROPERTY, "1");
        Engine.getInstance(); // starts PyTorch with the properties above
        if (JniUtils.getNumThreads() != n) JniUtils.setNumThreads(n);
        return "PyTorch intra-op threads: " + JniUtils.getNumThreads() + " (" + why + ")";
    }
}
