package dev.ccpo.generator;

import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kit.WireMapping;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.team.AgentTurn;
import dev.ccpo.policy.team.Episode;
import dev.ccpo.policy.team.Seeds;
import dev.ccpo.policy.team.TeamRunner;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One GRPO group: G rollouts of one task through the team, as G Trajectory records.
 *
 * <p>The groupId is deterministic in (workerId, taskId, epoch): a generator restarted after a crash
 * that redoes the same task/epoch emits the same groupId and trajectoryIds, and its group seed is
 * derived from it, so the redo is recognisable (downstream dedups by trajectoryId) instead of
 * looking like a fresh group that would double-weight the task.
 */
public final class GroupGenerator {
    private final TeamRunner runner;
    private final String workerId;
    private final int groupSize;
    private final SamplingParams params;
    private final long baseSeed;

    public GroupGenerator(TeamRunner runner, String workerId, int groupSize, SamplingParams params, long baseSeed) {
        if (groupSize < 1) throw new IllegalArgumentException("group.size must be >= 1, got " + groupSize);
        this.runner = runner;
        this.workerId = workerId;
        this.groupSize = groupSize;
        this.params = params;
        this.baseSeed = baseSeed;
    }

    public static String groupId(String workerId, String taskId, long epoch) {
        return UUID.nameUUIDFromBytes((workerId + "\u0000" + taskId + "\u0000" + epoch).getBytes(StandardCharsets.UTF_8)).toString();
    }

    public static String trajectoryId(String groupId, int groupIndex) { return groupId + "/" + groupIndex; }

    /** Runs the group with the given per-role models, all at {@code policyVersion}. */
    public List<Trajectory> generate(TaskRecord task, long epoch, Map<String, ChatModel> models, long policyVersion) {
        String groupId = groupId(workerId, task.taskId(), epoch);
        long seed = Seeds.derive(baseSeed, groupId.hashCode(), epoch);
        List<Episode> episodes = runner.runGroup(task, models, params, groupSize, seed);
        Topology topology = WireMapping.toWire(runner.team().topology());
        Instant now = Instant.now();
        List<Trajectory> out = new ArrayList<>(episodes.size());
        for (Episode e : episodes) {
            List<Turn> turns = new ArrayList<>(e.turns().size());
            for (AgentTurn t : e.turns()) turns.add(toTurn(t));
            out.add(Trajectory.newBuilder()
                    .setTrajectoryId(trajectoryId(groupId, e.groupIndex())).setGroupId(groupId)
                    .setGroupIndex(e.groupIndex()).setGroupSize(groupSize).setTask(WireMapping.toWire(task))
                    .setTopology(topology).setPolicyVersion(policyVersion).setTurns(turns)
                    .setFinalAnswer(e.finalAnswer()).setReward(e.reward()).setCreatedAtMs(now)
                    .setWorkerId(workerId).setTemperature(params.temperature()).build());
        }
        return out;
    }

    static Turn toTurn(AgentTurn t) {
        List<Integer> prompt = new ArrayList<>(t.promptTokenIds().length);
        for (int id : t.promptTokenIds()) prompt.add(id);
        List<Integer> output = new ArrayList<>(t.outputTokenIds().length);
        for (int id : t.outputTokenIds()) output.add(id);
        List<Float> lp = new ArrayList<>(t.logProbs().length);
        for (float v : t.logProbs()) lp.add(v);
        return Turn.newBuilder().setAgentId(t.agentId()).setRole(t.role()).setPromptTokenIds(prompt)
                .setOutputTokenIds(output).setBehaviourLogProbs(lp).setText(t.text())
                .setTruncated(t.finishReason() == Completion.FinishReason.LENGTH).setCorrect(t.correct()).build();
    }
}
