package dev.ccpo.policy.team;

import java.util.List;

/**
 * One joint episode of a group.
 *
 * @param groupIndex k within the group, 0..G-1 (pairs the episode with its counterfactual samples)
 * @param turns in the order taken
 * @param finalAnswer the team's extracted answer, "" if none
 * @param reward 1 if the final answer is equivalent to the reference, else 0
 */
public record Episode(int groupIndex, List<AgentTurn> turns, String finalAnswer, double reward) {
    public Episode {
        turns = List.copyOf(turns);
    }
}
