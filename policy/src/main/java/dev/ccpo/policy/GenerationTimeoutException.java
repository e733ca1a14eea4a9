package dev.ccpo.policy;

/** A model call still sampling after its time limit (generation.time.limit.ms). */
public final class GenerationTimeoutException extends RuntimeException {
    public GenerationTimeoutException(long limitMs, int steps) {
        super("generation still running after " + limitMs + " ms (" + steps + " tokens; generation.time.limit.ms)");
    }
}
