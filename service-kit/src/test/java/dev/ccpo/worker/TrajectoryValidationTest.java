package dev.ccpo.worker;

import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.kafka.RejectedRecordException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrajectoryValidationTest {
    private static final int VOCAB = 10;

    static Trajectory valid() {
        Task task = Task.newBuilder().setTaskId("t0").setDataset("d").setQuestion("1+1?").setReferenceAnswer("2")
                .setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of()).build();
        Turn thinker = Turn.newBuilder().setAgentId(0).setRole("thinker").setPromptTokenIds(List.of(1, 2, 3))
                .setOutputTokenIds(List.of(4, 5)).setBehaviourLogProbs(List.of(-0.5f, -1.25f)).setText("add").build();
        Turn reasoner = Turn.newBuilder().setAgentId(1).setRole("reasoner").setPromptTokenIds(List.of(1, 2))
                .setOutputTokenIds(List.of(9)).setBehaviourLogProbs(List.of(-0.01f)).setText("2").build();
        return Trajectory.newBuilder().setTrajectoryId("g/0").setGroupId("g").setGroupIndex(0).setGroupSize(4)
                .setTask(task).setTopology(Topology.THINK_REASON).setPolicyVersion(1).setTurns(List.of(thinker, reasoner))
                .setFinalAnswer("2").setReward(1.0).setCreatedAtMs(Instant.ofEpochMilli(1L)).setWorkerId("w")
                .setTemperature(0.7f).build();
    }

    @Test
    void validPasses() {
        assertDoesNotThrow(() -> TrajectoryValidation.validate(valid(), VOCAB));
    }

    /** The shared checks need no vocabulary: what only a model worker checks is left to validate. */
    @Test
    void sharedChecksLeaveTokensToTheModelWorkers() {
        Trajectory t = valid();
        t.getTurns().get(0).setOutputTokenIds(List.of(4, 99));
        assertDoesNotThrow(() -> TrajectoryValidation.checkShared(t, ValueDomains.DEFAULT));
        assertThrows(RejectedRecordException.class, () -> TrajectoryValidation.validate(t, VOCAB));
        t.setTurns(List.of());
        RejectedRecordException e = assertThrows(RejectedRecordException.class, () -> TrajectoryValidation.checkShared(t, ValueDomains.DEFAULT));
        assertTrue(e.getMessage().contains("trajectory has no turns"), e.getMessage());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("unknown topology", (Consumer<Trajectory>) t -> t.setTopology(null)),
                Arguments.of("no turns", (Consumer<Trajectory>) t -> t.setTurns(List.of())),
                Arguments.of("outside [0, 10)", (Consumer<Trajectory>) t -> t.getTurns().get(0).setOutputTokenIds(List.of(4, 10))),
                Arguments.of("promptTokenIds[0] = -1", (Consumer<Trajectory>) t -> t.getTurns().get(1).setPromptTokenIds(List.of(-1))),
                Arguments.of("is NaN", (Consumer<Trajectory>) t -> t.getTurns().get(1).setBehaviourLogProbs(List.of(Float.NaN))),
                Arguments.of("is -Infinity", (Consumer<Trajectory>) t -> t.getTurns().get(0).setBehaviourLogProbs(List.of(-1f, Float.NEGATIVE_INFINITY))),
                Arguments.of("log-probs for", (Consumer<Trajectory>) t -> t.getTurns().get(0).setBehaviourLogProbs(List.of(-1f))),
                Arguments.of("outside the reward domain [0.0, 1.0]", (Consumer<Trajectory>) t -> t.setReward(Double.POSITIVE_INFINITY)),
                Arguments.of("outside the reward domain [0.0, 1.0]", (Consumer<Trajectory>) t -> t.setReward(Double.NaN)),
                Arguments.of("groupSize 0 outside [1, 1024]", (Consumer<Trajectory>) t -> t.setGroupSize(0)),
                Arguments.of("groupIndex 4 outside", (Consumer<Trajectory>) t -> t.setGroupIndex(4)),
                Arguments.of("groupIndex -1 outside", (Consumer<Trajectory>) t -> t.setGroupIndex(-1)),
                Arguments.of("reward 1.0E300 outside the reward domain", (Consumer<Trajectory>) t -> t.setReward(1e300)),
                Arguments.of("reward -0.5 outside the reward domain", (Consumer<Trajectory>) t -> t.setReward(-0.5)),
                Arguments.of("groupSize 5000 outside [1, 1024]", (Consumer<Trajectory>) t -> t.setGroupSize(5000)),
                Arguments.of("log-prob 1 is 0.25, outside [-1000.0, 0]", (Consumer<Trajectory>) t -> t.getTurns().get(0).setBehaviourLogProbs(List.of(-1f, 0.25f))),
                Arguments.of("log-prob 0 is -1.0E30, outside", (Consumer<Trajectory>) t -> t.getTurns().get(1).setBehaviourLogProbs(List.of(-1e30f))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidRejectedWithReason(String expectedReason, Consumer<Trajectory> corrupt) {
        Trajectory t = valid();
        corrupt.accept(t);
        RejectedRecordException e = assertThrows(RejectedRecordException.class, () -> TrajectoryValidation.validate(t, VOCAB));
        assertTrue(e.getMessage().contains(expectedReason), () -> "reason '" + e.getMessage() + "' lacks '" + expectedReason + "'");
    }
}
