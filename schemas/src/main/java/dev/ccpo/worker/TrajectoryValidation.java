package dev.ccpo.worker;

import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kafka.RejectedRecordException;

import java.util.List;

/**
 * Checks a Trajectory before any model work: a record that fails here can never be processed,
 * so it goes to the dead-letter topic (via {@link RejectedRecordException}) instead of stopping the worker.
 */
public final class TrajectoryValidation {
    private TrajectoryValidation() { }

    /** @param vocabSize token ids must lie in [0, vocabSize) */
    public static void validate(Trajectory t, int vocabSize) {
        if (t.getTopology() == null) throw new RejectedRecordException("unknown topology (null)");
        if (t.getGroupSize() < 1) throw new RejectedRecordException("groupSize must be >= 1, got " + t.getGroupSize());
        if (t.getGroupIndex() < 0 || t.getGroupIndex() >= t.getGroupSize())
            throw new RejectedRecordException("groupIndex " + t.getGroupIndex() + " outside [0, " + t.getGroupSize() + ")");
        if (!Double.isFinite(t.getReward())) throw new RejectedRecordException("reward is not finite: " + t.getReward());
        if (t.getTurns() == null || t.getTurns().isEmpty()) throw new RejectedRecordException("trajectory has no turns");
        for (Turn turn : t.getTurns()) {
            checkIds(turn.getAgentId(), "promptTokenIds", turn.getPromptTokenIds(), vocabSize);
            checkIds(turn.getAgentId(), "outputTokenIds", turn.getOutputTokenIds(), vocabSize);
            checkLogProbs(turn.getAgentId(), turn.getOutputTokenIds(), turn.getBehaviourLogProbs());
        }
    }

    /** One behaviour log-prob per output token, each finite (the learner's ratios would be NaN otherwise). */
    public static void checkLogProbs(int agentId, List<Integer> outputTokenIds, List<Float> logProbs) {
        if (logProbs.size() != outputTokenIds.size())
            throw new RejectedRecordException("agent " + agentId + ": " + logProbs.size() + " log-probs for "
                    + outputTokenIds.size() + " output tokens");
        for (int i = 0; i < logProbs.size(); i++) {
            float v = logProbs.get(i);
            if (!Float.isFinite(v)) throw new RejectedRecordException("agent " + agentId + ": log-prob " + i + " is " + v);
        }
    }

    /** Token ids in [0, vocabSize); {@code field} names the list in the message. */
    public static void checkIds(int agentId, String field, List<Integer> ids, int vocabSize) {
        for (int i = 0; i < ids.size(); i++) {
            int id = ids.get(i);
            if (id < 0 || id >= vocabSize)
                throw new RejectedRecordException("agent " + agentId + ": " + field + "[" + i + "] = " + id
                        + " outside [0, " + vocabSize + ")");
        }
    }
}
