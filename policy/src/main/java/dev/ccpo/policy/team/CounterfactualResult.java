package dev.ccpo.policy.team;

import java.util.List;

/**
 * Outcome of one episode with one agent removed.
 *
 * @param rewards one per counterfactual sample (K for RERUN, 1 for RECOMPUTE)
 * @param answers the team answer of each sample ("" if none), for audit
 * @param turns the re-run turns (RERUN only; empty for RECOMPUTE)
 */
public record CounterfactualResult(int groupIndex, int maskedAgentId, String maskedRole, CounterfactualMethod method,
                                   List<Double> rewards, List<String> answers, List<AgentTurn> turns) {
    public CounterfactualResult {
        rewards = List.copyOf(rewards);
        answers = List.copyOf(answers);
        turns = List.copyOf(turns);
    }

    public int samples() { return rewards.size(); }

    /** The counterfactual reward used for credit: the mean over samples. */
    public double meanReward() {
        return rewards.stream().mapToDouble(Double::doubleValue).average().orElse(0.0);
    }
}
