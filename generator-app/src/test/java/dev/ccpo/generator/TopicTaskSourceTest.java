package dev.ccpo.generator;

import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.Task;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TopicTaskSourceTest {

    private static Task.Builder ok() {
        return Task.newBuilder().setTaskId("t").setDataset("d").setQuestion("1+1?").setReferenceAnswer("2")
                .setAnswerKind(AnswerKind.NUMERIC).setChoices(List.of());
    }

    @Test
    void validTaskPasses() {
        assertNull(TopicTaskSource.invalidReason(ok().build()));
        assertNull(TopicTaskSource.invalidReason(ok().setAnswerKind(AnswerKind.CHOICE).setChoices(List.of("1", "2")).build()));
    }

    @Test
    void invalidTasksAreNamedWithTheirReason() {
        assertEquals("null value (tombstone)", TopicTaskSource.invalidReason(null));
        assertEquals("taskId is blank", TopicTaskSource.invalidReason(ok().setTaskId("").build()));
        assertEquals("question is blank (taskId t)", TopicTaskSource.invalidReason(ok().setQuestion("  ").build()));
        assertEquals("referenceAnswer is blank (taskId t)", TopicTaskSource.invalidReason(ok().setReferenceAnswer("").build()));
        assertEquals("answerKind CHOICE without choices (taskId t)",
                TopicTaskSource.invalidReason(ok().setAnswerKind(AnswerKind.CHOICE).build()));
    }
}
