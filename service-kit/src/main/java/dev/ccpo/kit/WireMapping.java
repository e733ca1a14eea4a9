package dev.ccpo.kit;

import dev.ccpo.avro.Task;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.team.CounterfactualMethod;
import dev.ccpo.policy.team.Topology;

/**
 * The one border between the model's types ({@code policy}, which knows no Avro) and the records on the wire.
 * Every switch is exhaustive without a default, so a constant added on either side is a compile error here
 * rather than an IllegalArgumentException from {@code valueOf(name())} at run time.
 */
public final class WireMapping {
    private WireMapping() { }

    public static dev.ccpo.avro.Topology toWire(Topology t) {
        return switch (t) {
            case THINK_REASON -> dev.ccpo.avro.Topology.THINK_REASON;
            case VOTING -> dev.ccpo.avro.Topology.VOTING;
        };
    }

    public static Topology fromWire(dev.ccpo.avro.Topology t) {
        return switch (t) {
            case THINK_REASON -> Topology.THINK_REASON;
            case VOTING -> Topology.VOTING;
        };
    }

    public static dev.ccpo.avro.AnswerKind toWire(AnswerKind k) {
        return switch (k) {
            case NUMERIC -> dev.ccpo.avro.AnswerKind.NUMERIC;
            case LATEX -> dev.ccpo.avro.AnswerKind.LATEX;
            case CHOICE -> dev.ccpo.avro.AnswerKind.CHOICE;
        };
    }

    public static AnswerKind fromWire(dev.ccpo.avro.AnswerKind k) {
        return switch (k) {
            case NUMERIC -> AnswerKind.NUMERIC;
            case LATEX -> AnswerKind.LATEX;
            case CHOICE -> AnswerKind.CHOICE;
        };
    }

    public static dev.ccpo.avro.CounterfactualMethod toWire(CounterfactualMethod m) {
        return switch (m) {
            case RERUN -> dev.ccpo.avro.CounterfactualMethod.RERUN;
            case RECOMPUTE -> dev.ccpo.avro.CounterfactualMethod.RECOMPUTE;
        };
    }

    public static CounterfactualMethod fromWire(dev.ccpo.avro.CounterfactualMethod m) {
        return switch (m) {
            case RERUN -> CounterfactualMethod.RERUN;
            case RECOMPUTE -> CounterfactualMethod.RECOMPUTE;
        };
    }

    public static Task toWire(TaskRecord t) {
        return Task.newBuilder().setTaskId(t.taskId()).setDataset(t.dataset()).setQuestion(t.question())
                .setReferenceAnswer(t.referenceAnswer()).setAnswerKind(toWire(t.answerKind())).setChoices(t.choices()).build();
    }

    public static TaskRecord fromWire(Task t) {
        return new TaskRecord(t.getTaskId(), t.getDataset(), t.getQuestion(), t.getReferenceAnswer(),
                fromWire(t.getAnswerKind()), t.getChoices());
    }
}
