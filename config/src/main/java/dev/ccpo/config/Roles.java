package dev.ccpo.config;

/**
 * The agents' role names, as they travel in records (Turn.role, CounterfactualOutcome.maskedRole, AgentAdvantage.role,
 * PolicyWeights.role) and key the models of a team. Defined here, in the one module that every other one (policy
 * included, which knows no Avro) depends on.
 */
public final class Roles {
    private Roles() { }

    public static final String THINKER = "thinker";
    public static final String REASONER = "reasoner";
    public static final String VOTER = "voter";

    /** The policy of voter {@code k} when each voter has its own ("voter0", "voter1", ...). */
    public static String voter(int k) { return VOTER + k; }
}
