package dev.ccpo.policy.team;

/**
 * One seat of a team.
 *
 * @param agentId index in the team, from 0
 * @param role role name recorded on turns: thinker, reasoner, voter
 * @param policyKey key of this agent's model in the models map (its role, or e.g. "voter2" when
 *                  every voter has its own policy)
 * @param stage agents of one stage act together (batched); later stages see earlier outputs
 * @param template prompt template name under {@code prompts/} (without ".txt")
 */
public record AgentSpec(int agentId, String role, String policyKey, int stage, String template) {}
