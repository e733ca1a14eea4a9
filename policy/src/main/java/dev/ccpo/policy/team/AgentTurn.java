package dev.ccpo.policy.team;

import dev.ccpo.policy.Completion;

/**
 * One agent's turn: the templated prompt tokens, the sampled tokens with behaviour log-probs, and the text.
 *
 * @param correct the ground truth of this turn ({@link TurnTruth}); null where unknown or not judged yet
 */
public record AgentTurn(int agentId, String role, int[] promptTokenIds, int[] outputTokenIds, float[] logProbs,
                        String text, Completion.FinishReason finishReason, Boolean correct) {

    static AgentTurn of(AgentSpec agent, Completion c) {
        return new AgentTurn(agent.agentId(), agent.role(), c.promptTokenIds(), c.outputTokenIds(), c.logProbs(),
                c.text(), c.finishReason(), null);
    }

    AgentTurn judged(Boolean truth) {
        return new AgentTurn(agentId, role, promptTokenIds, outputTokenIds, logProbs, text, finishReason, truth);
    }
}
