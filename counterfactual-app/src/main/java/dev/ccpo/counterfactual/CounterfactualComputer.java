package dev.ccpo.counterfactual;

import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kit.WireMapping;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.team.AgentTurn;
import dev.ccpo.policy.team.CounterfactualResult;
import dev.ccpo.policy.team.Episode;
import dev.ccpo.policy.team.Seeds;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.policy.team.Topology;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.worker.RolePolicies;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One trajectory in, one CounterfactualOutcome per masked agent out. THINK_REASON: K re-runs of the
 * Reasoner alone, seeded from the trajectoryId so a redo after a crash samples the same thing.
 * VOTING: the majority recomputed without voter i (no model call).
 */
public final class CounterfactualComputer {
    private final RolePolicies<ChatModel> policies;
    private final PromptLibrary prompts;
    private final Verifier verifier;
    private final SamplingParams params;
    private final int samples;
    private final long baseSeed;
    private final String workerId;

    public CounterfactualComputer(RolePolicies<ChatModel> policies, PromptLibrary prompts, Verifier verifier,
                                  SamplingParams params, int samples, long baseSeed, String workerId) {
        if (samples < 1) throw new IllegalArgumentException("counterfactual.samples must be >= 1, got " + samples);
        this.policies = policies;
        this.prompts = prompts;
        this.verifier = verifier;
        this.params = params;
        this.samples = samples;
        this.baseSeed = baseSeed;
        this.workerId = workerId;
    }

    /** Stable across JVMs (unlike an identity hash): the seed of a trajectory's counterfactuals. */
    public static long seedOf(long base, String trajectoryId) {
        UUID u = UUID.nameUUIDFromBytes(trajectoryId.getBytes(StandardCharsets.UTF_8));
        return Seeds.derive(base, u.getMostSignificantBits(), u.getLeastSignificantBits());
    }

    public List<CounterfactualOutcome> compute(Trajectory t) {
        Topology topology = WireMapping.fromWire(t.getTopology());
        TeamSpec team = topology == Topology.VOTING ? TeamSpec.voting(t.getTurns().size()) : TeamSpec.thinkReason();
        TeamRunner runner = new TeamRunner(team, prompts, verifier);
        Map<String, ChatModel> models = new LinkedHashMap<>();
        long usedVersion = t.getPolicyVersion();
        if (topology != Topology.VOTING) {
            long maxUsed = Long.MIN_VALUE;
            for (String role : team.policyKeys()) {
                RolePolicies.Versioned<ChatModel> v = policies.forVersion(role, t.getPolicyVersion());
                models.put(role, v.model());
                maxUsed = Math.max(maxUsed, v.version());
            }
            usedVersion = maxUsed;
        }
        Episode episode = toEpisode(t);
        List<CounterfactualResult> results = runner.counterfactuals(WireMapping.fromWire(t.getTask()), List.of(episode), models, params,
                samples, seedOf(baseSeed, t.getTrajectoryId()));
        Instant now = Instant.now();
        List<CounterfactualOutcome> out = new ArrayList<>(results.size());
        for (CounterfactualResult r : results) {
            out.add(CounterfactualOutcome.newBuilder()
                    .setTrajectoryId(t.getTrajectoryId()).setGroupId(t.getGroupId()).setGroupIndex(t.getGroupIndex())
                    .setGroupSize(t.getGroupSize()).setTopology(t.getTopology())
                    .setMaskedAgentId(r.maskedAgentId()).setMaskedRole(r.maskedRole())
                    .setMethod(WireMapping.toWire(r.method()))
                    .setSamples(r.samples()).setRewards(r.rewards()).setAnswers(r.answers()).setMeanReward(r.meanReward())
                    .setPolicyVersion(usedVersion).setTrajectoryPolicyVersion(t.getPolicyVersion())
                    .setCreatedAtMs(now).setWorkerId(workerId).build());
        }
        return out;
    }

    static Episode toEpisode(Trajectory t) {
        List<AgentTurn> turns = new ArrayList<>();
        for (Turn turn : t.getTurns()) {
            turns.add(new AgentTurn(turn.getAgentId(), turn.getRole(), ints(turn.getPromptTokenIds()), ints(turn.getOutputTokenIds()),
                    floats(turn.getBehaviourLogProbs()), turn.getText(),
                    turn.getTruncated() ? Completion.FinishReason.LENGTH : Completion.FinishReason.END_OF_TURN, turn.getCorrect()));
        }
        return new Episode(t.getGroupIndex(), turns, t.getFinalAnswer(), t.getReward());
    }

    private static int[] ints(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    private static float[] floats(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
