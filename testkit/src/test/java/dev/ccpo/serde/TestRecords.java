package dev.ccpo.serde;

import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;

import java.time.Instant;
import java.util.List;

/** Small valid records for serde tests. */
final class TestRecords {
    private TestRecords() { }

    static Task task() {
        return Task.newBuilder().setTaskId("math500/test/0").setDataset("math500").setQuestion("What is 1+1?")
                .setReferenceAnswer("2").setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of()).build();
    }

    static Trajectory trajectory() {
        Turn thinker = Turn.newBuilder().setAgentId(0).setRole("thinker").setPromptTokenIds(List.of(1, 2, 3))
                .setOutputTokenIds(List.of(4, 5)).setBehaviourLogProbs(List.of(-0.5f, -1.25f)).setText("add them").build();
        Turn reasoner = Turn.newBuilder().setAgentId(1).setRole("reasoner").setPromptTokenIds(List.of(1, 2, 3, 4, 5))
                .setOutputTokenIds(List.of(6)).setBehaviourLogProbs(List.of(-0.01f)).setText("\\boxed{2}").build();
        return Trajectory.newBuilder().setTrajectoryId("g1/0").setGroupId("g1").setGroupIndex(0).setGroupSize(4)
                .setTask(task()).setTopology(Topology.THINK_REASON).setPolicyVersion(3).setTurns(List.of(thinker, reasoner))
                .setFinalAnswer("2").setReward(1.0).setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_123L))
                .setWorkerId("gen-1").setTemperature(0.7f).build();
    }
}
