package dev.ccpo.policy.data;

import java.util.List;
import java.util.Objects;

import dev.ccpo.policy.reward.AnswerKind;

/**
 * One question for a team, as the policy side sees it (mirrors the Avro {@code Task}).
 *
 * @param taskId unique within the dataset, e.g. {@code math500/test/17}
 * @param choices options in letter order A, B, C, ... for CHOICE tasks; empty otherwise
 */
public record TaskRecord(String taskId, String dataset, String question, String referenceAnswer,
                         AnswerKind answerKind, List<String> choices) {
    public TaskRecord {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(referenceAnswer, "referenceAnswer");
        Objects.requireNonNull(answerKind, "answerKind");
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public TaskRecord(String taskId, String dataset, String question, String referenceAnswer, AnswerKind answerKind) {
        this(taskId, dataset, question, referenceAnswer, answerKind, List.of());
    }

    /** Letter of option i: 0 -> "A". */
    public static String optionLetter(int index) {
        if (index < 0 || index >= 26) throw new IllegalArgumentException("option index out of range: " + index);
        return String.valueOf((char) ('A' + index));
    }
}
