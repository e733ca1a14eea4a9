package dev.ccpo.worker;

import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kafka.RejectedRecordException;

/**
 * Checks a Trajectory before any model work: a record that fails here can never be processed,
 * so it goes to the dead-letter topic (via {@link RejectedRecordException}) instead of stopping the worker.
 * The ranges are {@link ValueDomains}'.
 */
public final class TrajectoryValidation {
    private TrajectoryValidation() { }

    /** With the default domains (rewards in [0, 1]). */
    public static void validate(Trajectory t, int vocabSize) { validate(t, vocabSize, ValueDomains.DEFAULT); }

    /** @param vocabSize token ids must lie in [0, vocabSize) */
    public static void validate(Trajectory t, int vocabSize, ValueDomains domains) {
        if (t.getTopology() == null) throw new RejectedRecordException("unknown topology (null)");
        ValueDomains.checkGroup(t.getGroupSize(), t.getGroupIndex());
        domains.checkReward("reward", t.getReward());
        if (t.getTurns() == null || t.getTurns().isEmpty()) throw new RejectedRecordException("trajectory has no turns");
        for (Turn turn : t.getTurns()) {
            ValueDomains.checkTokenIds(turn.getAgentId(), "promptTokenIds", turn.getPromptTokenIds(), vocabSize);
            ValueDomains.checkTokenIds(turn.getAgentId(), "outputTokenIds", turn.getOutputTokenIds(), vocabSize);
            ValueDomains.checkLogProbs(turn.getAgentId(), turn.getOutputTokenIds(), turn.getBehaviourLogProbs());
        }
    }
}
