package dev.ccpo.worker;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigException;
import dev.ccpo.kafka.RejectedRecordException;

import java.util.List;

/**
 * The value domains of the contract, declared once: every service checks its inputs against these and
 * dead-letters a record with a value outside them (via {@link RejectedRecordException}, whose message names
 * the field, the value and the domain). Being finite is not enough: one finite but absurd reward (1e300)
 * would overflow the credit statistics, and one huge advantage the learner's loss.
 * <ul>
 *   <li>reward (Trajectory.reward, CounterfactualOutcome.rewards / meanReward): [reward.min, reward.max],
 *       a setting, default the verifier's [0, 1];</li>
 *   <li>advantage (AgentAdvantage.advantage): [-{@value #ADVANTAGE_MAX_ABS}, {@value #ADVANTAGE_MAX_ABS}]
 *       (a group-normalized advantage is at most sqrt(G) ≤ 32 in size for G ≤ {@value #GROUP_SIZE_MAX});</li>
 *   <li>log-prob (behaviourLogProbs): [{@value #LOG_PROB_MIN}, 0] (a sampled fp32 token has p ≥ 1e-45, log ≥ -104);</li>
 *   <li>token id: [0, vocabSize) of the model that reads it;</li>
 *   <li>group size: [1, {@value #GROUP_SIZE_MAX}], group index [0, groupSize).</li>
 * </ul>
 */
public record ValueDomains(double rewardMin, double rewardMax) {
    public static final String REWARD_MIN = CommonKeys.REWARD_MIN, REWARD_MAX = CommonKeys.REWARD_MAX;
    public static final double ADVANTAGE_MAX_ABS = 100.0;
    public static final float LOG_PROB_MIN = -1000f;
    public static final int GROUP_SIZE_MAX = 1024;
    /** The verifier's rewards: 0 or 1. */
    public static final ValueDomains DEFAULT = new ValueDomains(0.0, 1.0);

    public ValueDomains {
        if (!Double.isFinite(rewardMin) || !Double.isFinite(rewardMax) || rewardMin > rewardMax)
            throw new IllegalArgumentException(REWARD_MIN + "/" + REWARD_MAX + ": need finite " + REWARD_MIN + " <= "
                    + REWARD_MAX + ", got [" + rewardMin + ", " + rewardMax + "]");
    }

    public static ValueDomains from(Config c) {
        double lo = c.decimal(REWARD_MIN), hi = c.decimal(REWARD_MAX);
        if (lo > hi) throw new ConfigException(REWARD_MIN + " (" + lo + ") must be <= " + REWARD_MAX + " (" + hi + ")");
        return new ValueDomains(lo, hi);
    }

    /** A reward in [rewardMin, rewardMax]; {@code what} names the field in the message. */
    public void checkReward(String what, double v) {
        if (!(v >= rewardMin && v <= rewardMax))  // also refuses NaN
            throw new RejectedRecordException(what + " " + v + " outside the reward domain [" + rewardMin + ", " + rewardMax
                    + "] (" + REWARD_MIN + ", " + REWARD_MAX + ")");
    }

    /** Every sample reward and the mean reward of a counterfactual in the reward domain. */
    public void check(CounterfactualOutcome c) {
        checkGroup(c.getGroupSize(), c.getGroupIndex());
        checkReward("counterfactual meanReward", c.getMeanReward());
        List<Double> rs = c.getRewards();
        for (int i = 0; i < rs.size(); i++) checkReward("counterfactual rewards[" + i + "]", rs.get(i));
    }

    public static void checkAdvantage(double v) {
        if (!(Math.abs(v) <= ADVANTAGE_MAX_ABS))
            throw new RejectedRecordException("advantage " + v + " outside [-" + ADVANTAGE_MAX_ABS + ", " + ADVANTAGE_MAX_ABS + "]");
    }

    /** The fields of an advantage record the learner trains on: group, advantage, log-probs, token ids. */
    public static void check(AgentAdvantage a, int vocabSize) {
        checkGroup(a.getGroupSize(), a.getGroupIndex());
        checkAdvantage(a.getAdvantage());
        checkLogProbs(a.getAgentId(), a.getOutputTokenIds(), a.getBehaviourLogProbs());
        checkTokenIds(a.getAgentId(), "promptTokenIds", a.getPromptTokenIds(), vocabSize);
        checkTokenIds(a.getAgentId(), "outputTokenIds", a.getOutputTokenIds(), vocabSize);
    }

    public static void checkGroup(int groupSize, int groupIndex) {
        if (groupSize < 1 || groupSize > GROUP_SIZE_MAX)
            throw new RejectedRecordException("groupSize " + groupSize + " outside [1, " + GROUP_SIZE_MAX + "]");
        if (groupIndex < 0 || groupIndex >= groupSize)
            throw new RejectedRecordException("groupIndex " + groupIndex + " outside [0, " + groupSize + ")");
    }

    /** One behaviour log-prob per output token, each in [LOG_PROB_MIN, 0]. */
    public static void checkLogProbs(int agentId, List<Integer> outputTokenIds, List<Float> logProbs) {
        if (logProbs.size() != outputTokenIds.size())
            throw new RejectedRecordException("agent " + agentId + ": " + logProbs.size() + " log-probs for "
                    + outputTokenIds.size() + " output tokens");
        for (int i = 0; i < logProbs.size(); i++) {
            float v = logProbs.get(i);
            if (!(v >= LOG_PROB_MIN && v <= 0f))
                throw new RejectedRecordException("agent " + agentId + ": log-prob " + i + " is " + v + ", outside ["
                        + LOG_PROB_MIN + ", 0]");
        }
    }

    /** Token ids in [0, vocabSize); {@code field} names the list in the message. */
    public static void checkTokenIds(int agentId, String field, List<Integer> ids, int vocabSize) {
        for (int i = 0; i < ids.size(); i++) {
            int id = ids.get(i);
            if (id < 0 || id >= vocabSize)
                throw new RejectedRecordException("agent " + agentId + ": " + field + "[" + i + "] = " + id
                        + " outside [0, " + vocabSize + ")");
        }
    }
}
