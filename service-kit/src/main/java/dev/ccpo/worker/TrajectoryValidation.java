package dev.ccpo.worker;

import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kafka.RejectedRecordException;

/**
 * The one validator of Trajectory records: a record that fails here can never be processed, so it goes to the
 * dead-letter topic (via {@link RejectedRecordException}, whose message is the reason) instead of stopping the service.
 * {@link #checkShared} is what every service that reads trajectories checks (the credit app, the counterfactual
 * worker); {@link #validate} adds what a service that feeds the tokens to a model needs. The ranges are
 * {@link ValueDomains}'.
 */
public final class TrajectoryValidation {
    private TrajectoryValidation() { }

    /** The checks every reader of trajectories shares: group size and index, the reward's domain, at least one turn. */
    public static void checkShared(Trajectory t, ValueDomains domains) {
        ValueDomains.checkGroup(t.getGroupSize(), t.getGroupIndex());
        domains.checkReward("reward", t.getReward());
        if (t.getTurns() == null || t.getTurns().isEmpty()) throw new RejectedRecordException("trajectory has no turns");
    }

    /** With the default domains (rewards in [0, 1]). */
    public static void validate(Trajectory t, int vocabSize) { validate(t, vocabSize, ValueDomains.DEFAULT); }

    /**
     * For a model worker: a known topology, the shared checks, then every turn's tokens readable by the model.
     * @param vocabSize token ids must lie in [0, vocabSize)
     */
    public static void validate(Trajectory t, int vocabSize, ValueDomains domains) {
        if (t.getTopology() == null) throw new RejectedRecordException("unknown topology (null)");
        checkShared(t, domains);
        checkTokens(t, vocabSize);
    }

    /** Token ids in [0, vocabSize) and one behaviour log-prob in the log-prob domain per output token, every turn. */
    public static void checkTokens(Trajectory t, int vocabSize) {
        for (Turn turn : t.getTurns()) {
            ValueDomains.checkTokenIds(turn.getAgentId(), "promptTokenIds", turn.getPromptTokenIds(), vocabSize);
            ValueDomains.checkTokenIds(turn.getAgentId(), "outputTokenIds", turn.getOutputTokenIds(), vocabSize);
            ValueDomains.checkLogProbs(turn.getAgentId(), turn.getOutputTokenIds(), turn.getBehaviourLogProbs());
        }
    }
}
