package dev.ccpo.counterfactual;

import ai.djl.Device;
import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kit.WireMapping;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.team.AgentTurn;
import dev.ccpo.policy.team.Episode;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.testkit.TinyModels;
import dev.ccpo.worker.RolePolicies;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helpers: the real tiny CausalLM as a checkpoint folder, and THINK_REASON trajectories rolled out
 * by it through the policy module's TeamRunner (what the generator publishes, without depending on it).
 */
final class RealTrajectories {
    private RealTrajectories() { }

    static Path checkpoint(long seed) throws IOException { return TinyModels.checkpoint(seed); }

    static byte[] weights(long seed) { return TinyModels.weights(seed); }

    /** Role policies as CounterfactualApp builds them: one model per THINK_REASON role at v0, loader from the checkpoint. */
    static RolePolicies<ChatModel> policies(Path modelDir, int keepVersions) {
        Map<String, ChatModel> initial = new LinkedHashMap<>();
        for (String role : TeamSpec.thinkReason().policyKeys()) initial.put(role, CausalLM.open(modelDir, Device.cpu()));
        return new RolePolicies<>(initial, 0, (role, bytes) -> CausalLM.open(modelDir, Device.cpu(), bytes), keepVersions);
    }

    static TaskRecord task(String id) {
        return new TaskRecord(id, "it", "What is 2+2?", "4", dev.ccpo.policy.reward.AnswerKind.NUMERIC);
    }

    /** One group of G THINK_REASON rollouts of the task by the model, as Trajectory records tagged with the version. */
    static List<Trajectory> group(TeamRunner runner, ChatModel model, String groupId, TaskRecord task, int g, int maxNewTokens,
                                  long policyVersion, long seed) {
        List<Episode> episodes = runner.runGroup(task, TeamRunner.shared(runner.team(), model),
                new SamplingParams(1f, 1f, maxNewTokens, List.of(), seed), g, seed);
        Task avroTask = WireMapping.toWire(task);
        List<Trajectory> out = new ArrayList<>();
        for (Episode e : episodes) {
            List<Turn> turns = new ArrayList<>();
            for (AgentTurn t : e.turns()) turns.add(turn(t));
            out.add(Trajectory.newBuilder().setTrajectoryId(groupId + "/" + e.groupIndex()).setGroupId(groupId)
                    .setGroupIndex(e.groupIndex()).setGroupSize(g).setTask(avroTask).setTopology(Topology.THINK_REASON)
                    .setPolicyVersion(policyVersion).setTurns(turns).setFinalAnswer(e.finalAnswer()).setReward(e.reward())
                    .setCreatedAtMs(Instant.now()).setWorkerId("it-gen").setTemperature(1f).build());
        }
        return out;
    }

    private static Turn turn(AgentTurn t) {
        List<Integer> prompt = new ArrayList<>();
        for (int id : t.promptTokenIds()) prompt.add(id);
        List<Integer> output = new ArrayList<>();
        for (int id : t.outputTokenIds()) output.add(id);
        List<Float> lp = new ArrayList<>();
        for (float v : t.logProbs()) lp.add(v);
        return Turn.newBuilder().setAgentId(t.agentId()).setRole(t.role()).setPromptTokenIds(prompt).setOutputTokenIds(output)
                .setBehaviourLogProbs(lp).setText(t.text()).build();
    }
}
