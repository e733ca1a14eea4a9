package dev.ccpo.generator;

import dev.ccpo.avro.Task;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;

/** Maps tasks between the Avro wire type and the policy module's record (same enum constant names). */
public final class Tasks {
    private Tasks() { }

    public static Task toAvro(TaskRecord t) {
        return Task.newBuilder().setTaskId(t.taskId()).setDataset(t.dataset()).setQuestion(t.question())
                .setReferenceAnswer(t.referenceAnswer())
                .setAnswerKind(dev.ccpo.avro.AnswerKind.valueOf(t.answerKind().name()))
                .setChoices(t.choices()).build();
    }

    public static TaskRecord fromAvro(Task t) {
        return new TaskRecord(t.getTaskId(), t.getDataset(), t.getQuestion(), t.getReferenceAnswer(),
                AnswerKind.valueOf(t.getAnswerKind().name()), t.getChoices());
    }
}
