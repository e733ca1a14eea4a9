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
            checkIds("promptTokenIds", turn, turn.getPromptTokenIds(), vocabSize);
            checkIds("outputTokenIds", turn, turn.getOutputTokenIds(), vocabSize);
            List<Float> lp = turn.getBehaviourLogProbs();
            if (lp.size() != turn.getOutputTokenIds().size())
                throw new RejectedRecordException("agent " + turn.getAgentId() + ": " + lp.size() + " log-probs for "
                        + turn.getOutputTokenIds().size() + " output tokens");
            for (int i = 0; i < lp.size(); i++) {
                float v = lp.get(i);
                if (!Float.isFinite(v)) throw new RejectedRecordException("agent " + turn.getAgentId() + ": log-prob " + i + " is " + v);
            }
        }
    }

    private static void checkIds(String field, Turn turn, List<Integer> ids, int vocabSize) {
        for (int i = 0; i < ids.size(); i++) {
            int id = ids.get(i);
            if (id < 0 || id >= vocabSize)
                throw new RejectedRecordException("agent " + turn.getAgentId() + ": " + field + "[" + i + "] = " + id
                        + " outside [0, " + vocabSize + ")");
        }
    }
}
