package dev.ccpo.generator;

import dev.ccpo.testkit.FakeChatModel;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.team.AgentTurn;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;
import dev.ccpo.policy.team.TeamRunner;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.worker.TrajectoryValidation;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class GroupGeneratorTest {
    private static final TaskRecord TASK = new TaskRecord("t/1", "synthetic-arith", "What is 1+1?", "2", AnswerKind.NUMERIC);

    @Test
    void aTurnThatStoppedAtTheLengthLimitIsMarkedTruncated() {
        for (Completion.FinishReason f : Completion.FinishReason.values()) {
            AgentTurn t = new AgentTurn(0, "thinker", new int[]{1}, new int[]{2, 3}, new float[]{-0.1f, -0.2f}, "ab", f, null);
            assertEquals(f == Completion.FinishReason.LENGTH, GroupGenerator.toTurn(t).getTruncated(), f.toString());
        }
    }

    @Test
    void groupHasGConsistentValidTrajectories() {
        try (Verifier verifier = new Verifier()) {
            TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
            SamplingParams params = new SamplingParams(0.7f, 1.0f, 16, List.of(), 0L);
            GroupGenerator gen = new GroupGenerator(runner, "gen-a", 4, params, 42L);
            FakeChatModel model = new FakeChatModel("2");
            List<Trajectory> group = gen.generate(TASK, 3, TeamRunner.shared(runner.team(), model), 7L);

            assertEquals(4, group.size());
            Set<String> ids = new HashSet<>();
            for (int k = 0; k < 4; k++) {
                Trajectory t = group.get(k);
                TrajectoryValidation.validate(t, model.vocabSize());
                assertEquals(GroupGenerator.groupId("gen-a", "t/1", 3), t.getGroupId());
                assertEquals(k, t.getGroupIndex());
                assertEquals(4, t.getGroupSize());
                assertEquals(7L, t.getPolicyVersion());
                assertEquals(Topology.THINK_REASON, t.getTopology());
                assertEquals(2, t.getTurns().size(), "thinker + reasoner turns");
                assertEquals(List.of(-0.5f, -0.25f), t.getTurns().get(1).getBehaviourLogProbs());
                assertEquals(1.0, t.getReward(), "fake answers the reference");
                assertEquals("gen-a", t.getWorkerId());
                assertEquals(0.7f, t.getTemperature());
                ids.add(t.getTrajectoryId());
            }
            assertEquals(4, ids.size(), "trajectory ids unique within the group");
        }
    }

    @Test
    void groupIdDeterministicPerWorkerTaskEpoch() {
        assertEquals(GroupGenerator.groupId("w", "t", 1), GroupGenerator.groupId("w", "t", 1));
        assertNotEquals(GroupGenerator.groupId("w", "t", 1), GroupGenerator.groupId("w", "t", 2));
        assertNotEquals(GroupGenerator.groupId("w", "t", 1), GroupGenerator.groupId("v", "t", 1));
    }
}
