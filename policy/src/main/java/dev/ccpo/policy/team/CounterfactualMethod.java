package dev.ccpo.policy.team;

/** Same constant names as the Avro enum {@code dev.ccpo.avro.CounterfactualMethod}. */
public enum CounterfactualMethod {
    /** The episode is sampled again without the agent (model calls). */
    RERUN,
    /** Derived exactly from the episode without model calls (a vote without one voter). */
    RECOMPUTE
}
