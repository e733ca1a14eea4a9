package dev.ccpo.policy.team;

/** How a team collaborates; same constant names as the Avro enum {@code dev.ccpo.avro.Topology}. */
public enum Topology {
    /** A Thinker (agent 0) plans, a Reasoner (agent 1) answers. */
    THINK_REASON,
    /** n voters answer independently; the majority decides. */
    VOTING
}
