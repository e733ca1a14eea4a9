package dev.ccpo.policy.team;

import dev.ccpo.config.Roles;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A topology as data: the seats, how the team answer is formed, and how an agent is removed for
 * its counterfactual. The runner has no per-topology code paths beyond these fields.
 *
 * @param counterfactualMethod RERUN: the masked agent's later teammates answer alone using
 *                             {@code soloTemplate}; RECOMPUTE: the team answer is recomputed without
 *                             the masked agent's output
 * @param maskedAgents agents that get a counterfactual (THINK_REASON: the Thinker; VOTING: every voter)
 */
public record TeamSpec(Topology topology, List<AgentSpec> agents, Aggregation aggregation,
                       CounterfactualMethod counterfactualMethod, List<Integer> maskedAgents, String soloTemplate) {

    /** How the team's final answer is formed from the agents' outputs. */
    public enum Aggregation {
        /** The answer of the agent with the highest id (the Reasoner). */
        LAST_AGENT,
        /** Majority of the answers by equivalence; ties go to the answer reached first by agent index. */
        MAJORITY_VOTE
    }

    public TeamSpec {
        agents = List.copyOf(agents);
        maskedAgents = List.copyOf(maskedAgents);
        for (int i = 0; i < agents.size(); i++) {
            if (agents.get(i).agentId() != i) throw new IllegalArgumentException("agent ids must be 0..n-1 in order");
        }
    }

    /** Thinker (agent 0, stage 0) then Reasoner (agent 1, stage 1); counterfactual: the Reasoner alone. */
    public static TeamSpec thinkReason() {
        return new TeamSpec(Topology.THINK_REASON,
                List.of(new AgentSpec(0, Roles.THINKER, Roles.THINKER, 0, "think_reason.thinker"),
                        new AgentSpec(1, Roles.REASONER, Roles.REASONER, 1, "think_reason.reasoner")),
                Aggregation.LAST_AGENT, CounterfactualMethod.RERUN, List.of(0), "think_reason.reasoner_solo");
    }

    /** n voters sharing the "voter" policy. */
    public static TeamSpec voting(int voters) {
        return voting(voters, false);
    }

    /** n voters; with separate policies, voter k's model is looked up under "voter" + k. */
    public static TeamSpec voting(int voters, boolean separatePolicies) {
        if (voters < 2) throw new IllegalArgumentException("voting needs at least 2 voters, got " + voters);
        List<AgentSpec> seats = new ArrayList<>();
        List<Integer> masked = new ArrayList<>();
        for (int k = 0; k < voters; k++) {
            seats.add(new AgentSpec(k, Roles.VOTER, separatePolicies ? Roles.voter(k) : Roles.VOTER, 0, "voting.voter"));
            masked.add(k);
        }
        return new TeamSpec(Topology.VOTING, seats, Aggregation.MAJORITY_VOTE, CounterfactualMethod.RECOMPUTE, masked, null);
    }

    /** The default team of a topology (VOTING: {@code voters} voters). */
    public static TeamSpec of(Topology topology, int voters) {
        return topology == Topology.THINK_REASON ? thinkReason() : voting(voters);
    }

    /** Model keys this team needs in the models map. */
    public Set<String> policyKeys() {
        Set<String> keys = new LinkedHashSet<>();
        agents.forEach(a -> keys.add(a.policyKey()));
        return keys;
    }

    int stages() {
        return agents.stream().mapToInt(AgentSpec::stage).max().orElse(-1) + 1;
    }
}
