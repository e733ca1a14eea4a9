package dev.ccpo.infra;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.CounterfactualMethod;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.DeadLetter;
import dev.ccpo.avro.Moments;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.config.Roles;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

/** One small valid record of every top-level Avro type, for the smoke command and integration tests. */
public final class SampleRecords {
    private static final Instant T = Instant.ofEpochMilli(1_700_000_000_123L);

    private SampleRecords() { }

    public static Task task() {
        return Task.newBuilder().setTaskId("math500/test/0").setDataset("math500").setQuestion("What is 1+1?")
                .setReferenceAnswer("2").setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of()).build();
    }

    public static Trajectory trajectory() {
        Turn thinker = Turn.newBuilder().setAgentId(0).setRole(Roles.THINKER).setPromptTokenIds(List.of(1, 2, 3))
                .setOutputTokenIds(List.of(4, 5)).setBehaviourLogProbs(List.of(-0.5f, -1.25f)).setText("add them").build();
        Turn reasoner = Turn.newBuilder().setAgentId(1).setRole(Roles.REASONER).setPromptTokenIds(List.of(1, 2, 3, 4, 5))
                .setOutputTokenIds(List.of(6)).setBehaviourLogProbs(List.of(-0.01f)).setText("\\boxed{2}").build();
        return Trajectory.newBuilder().setTrajectoryId("g1/0").setGroupId("g1").setGroupIndex(0).setGroupSize(4)
                .setTask(task()).setTopology(Topology.THINK_REASON).setPolicyVersion(3).setTurns(List.of(thinker, reasoner))
                .setFinalAnswer("2").setReward(1.0).setCreatedAtMs(T).setWorkerId("gen-1").setTemperature(0.7f).build();
    }

    public static CounterfactualOutcome counterfactual() {
        return CounterfactualOutcome.newBuilder().setTrajectoryId("g1/0").setGroupId("g1").setGroupIndex(0).setGroupSize(4)
                .setTopology(Topology.THINK_REASON).setMaskedAgentId(0).setMaskedRole(Roles.THINKER).setMethod(CounterfactualMethod.RERUN)
                .setSamples(2).setRewards(List.of(1.0, 0.0)).setAnswers(List.of("2", "3")).setMeanReward(0.5)
                .setPolicyVersion(3).setTrajectoryPolicyVersion(3).setCreatedAtMs(T).setWorkerId("cf-1").build();
    }

    public static RolloutStats rolloutStats() {
        Moments m = Moments.newBuilder().setCount(4).setMean(0.5).setM2(1.0).build();
        return RolloutStats.newBuilder().setRole(Roles.THINKER).setWindowStartMs(T).setWindowEndMs(T.plusSeconds(60))
                .setCredit(m).setJoint(m).setCounterfactual(m).build();
    }

    public static AgentAdvantage advantage() {
        return AgentAdvantage.newBuilder().setTrajectoryId("g1/0").setGroupId("g1").setGroupIndex(0).setGroupSize(4)
                .setGroupComplete(true).setGroupRecordCount(8).setTaskId("math500/test/0").setTopology(Topology.THINK_REASON)
                .setAgentId(0).setRole(Roles.THINKER).setPolicyVersion(3).setPromptTokenIds(List.of(1, 2, 3))
                .setOutputTokenIds(List.of(4, 5)).setBehaviourLogProbs(List.of(-0.5f, -1.25f)).setCreditMode(CreditMode.CCPO)
                .setAdvantage(0.75).setReward(1.0).setCounterfactualReward(0.5).setMarginalContribution(0.5)
                .setShapedReward(0.5).setGroupMean(0.5).setGroupStd(0.5).setGlobalMean(0.4).setGlobalStd(0.6)
                .setHistoryCount(100).setGate(1.0).setCreatedAtMs(T).build();
    }

    public static PolicyWeights weights() {
        return PolicyWeights.newBuilder().setModelId("tiny").setRole(Roles.THINKER).setPolicyVersion(3).setFormat("safetensors")
                .setSha256("00".repeat(32)).setTotalBytes(4).setChunkIndex(0).setChunkCount(1)
                .setBytes(ByteBuffer.wrap(new byte[] {1, 2, 3, 4})).setUri(null).setCreatedAtMs(T).build();
    }

    public static DeadLetter deadLetter() {
        return DeadLetter.newBuilder().setSourceTopic("ccpo.trajectories").setPartition(0).setOffset(42)
                .setKey(ByteBuffer.wrap(new byte[] {'k'})).setValue(ByteBuffer.wrap(new byte[] {0, 1}))
                .setReason("smoke test").setErrorClass("none").setService("infra").setFailedAtMs(T).build();
    }
}
