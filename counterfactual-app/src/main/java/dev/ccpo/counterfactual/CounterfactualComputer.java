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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Trajectories in, one CounterfactualOutcome per (trajectory, masked agent) out. THINK_REASON: K re-runs of the
 * Reasoner alone, batched across trajectories, seeded from the trajectoryId so a redo after a crash samples the
 * same thing however it is batched. VOTING: the majority recomputed without voter i (no model call).
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

    /**
     * The outcomes of each trajectory, in input order (one per masked agent). The THINK_REASON re-runs of all the
     * trajectories that re-run with the same policy versions share one batched call per model; each trajectory's rows
     * are seeded from seedOf(baseSeed, trajectoryId) alone, so its outcomes do not depend on what it is batched with.
     */
    public List<List<CounterfactualOutcome>> computeAll(List<Trajectory> trajectories) {
        int n = trajectories.size();
        List<List<CounterfactualResult>> results = new ArrayList<>(Collections.nCopies(n, null));
        long[] usedVersion = new long[n];
        // THINK_REASON trajectories by the versions they re-run with: one version of a role is one model instance.
        Map<Map<String, Long>, List<Integer>> byVersions = new LinkedHashMap<>();
        Map<Map<String, Long>, Map<String, ChatModel>> modelsOf = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Trajectory t = trajectories.get(i);
            usedVersion[i] = t.getPolicyVersion();
            if (WireMapping.fromWire(t.getTopology()) == Topology.VOTING) {
                TeamRunner voting = new TeamRunner(TeamSpec.voting(t.getTurns().size()), prompts, verifier);
                results.set(i, voting.counterfactuals(List.of(job(t)), Map.of(), params, samples).get(0));
                continue;
            }
            Map<String, Long> versions = new LinkedHashMap<>();
            Map<String, ChatModel> models = new LinkedHashMap<>();
            for (String role : TeamSpec.thinkReason().policyKeys()) {
                RolePolicies.Versioned<ChatModel> v = policies.forVersion(role, t.getPolicyVersion());
                versions.put(role, v.version());
                models.put(role, v.model());
            }
            usedVersion[i] = Collections.max(versions.values());
            modelsOf.putIfAbsent(versions, models);
            byVersions.computeIfAbsent(versions, k -> new ArrayList<>()).add(i);
        }
        TeamRunner thinkReason = new TeamRunner(TeamSpec.thinkReason(), prompts, verifier);
        byVersions.forEach((versions, indices) -> {
            List<List<CounterfactualResult>> r = thinkReason.counterfactuals(
                    indices.stream().map(i -> job(trajectories.get(i))).toList(), modelsOf.get(versions), params, samples);
            for (int k = 0; k < indices.size(); k++) results.set(indices.get(k), r.get(k));
        });
        Instant now = Instant.now();
        List<List<CounterfactualOutcome>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(outcomes(trajectories.get(i), results.get(i), usedVersion[i], now));
        return out;
    }

    private TeamRunner.CounterfactualJob job(Trajectory t) {
        return new TeamRunner.CounterfactualJob(WireMapping.fromWire(t.getTask()), toEpisode(t), seedOf(baseSeed, t.getTrajectoryId()));
    }

    private List<CounterfactualOutcome> outcomes(Trajectory t, List<CounterfactualResult> results, long usedVersion, Instant now) {
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
