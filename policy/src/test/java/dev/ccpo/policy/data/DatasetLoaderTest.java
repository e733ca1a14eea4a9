package dev.ccpo.policy.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.ccpo.policy.reward.AnswerKind;

/** Every loader on the real files of the project's data/ (row counts as in data/README.md; logiqa2 is CC BY-NC-SA 4.0). */
class DatasetLoaderTest {

    private static final Path DATA = DataDirectory.require();

    /** rows = tasks + skipped; a few rows in the files have an empty answer and cannot be scored. */
    @ParameterizedTest(name = "{0}/{1}: {2} rows, {3} skipped")
    @CsvSource({
            "math500, math500/test.jsonl, 500, 0, LATEX",
            "amc23, amc23/test.jsonl, 40, 0, NUMERIC",
            "gaokao2023en, gaokao2023en/test.jsonl, 385, 2, LATEX",
            "minerva_math, minerva_math/test.jsonl, 272, 0, LATEX",
            "gsm8k, gsm8k/test.jsonl, 1319, 0, NUMERIC",
            "gsm8k, gsm8k/train.jsonl, 7473, 0, NUMERIC",
            // README says 1568 for dev; the file holds 1569 JSON lines (two share an id).
            "logiqa2, logiqa2/dev.jsonl, 1569, 0, CHOICE",
            "logiqa2, logiqa2/test.jsonl, 1572, 0, CHOICE",
            "math_l3to5_train, math_l3to5_train/train.jsonl, 8523, 2, LATEX",
    })
    void loadsRealFile(String dataset, String file, int rows, int skipped, AnswerKind kind) {
        LoadResult result = DatasetLoader.load(DATA.resolve(file));
        assertEquals(DatasetFormat.parse(dataset), result.format(), "format detected from the path");
        assertEquals(rows - skipped, result.tasks().size());
        assertEquals(skipped, result.skipped().size(), () -> result.skipped().toString());
        result.skipped().forEach(line -> assertEquals("empty answer", line.reason()));
        rows -= skipped;
        for (TaskRecord t : result.tasks()) {
            assertEquals(kind, t.answerKind());
            assertEquals(dataset, t.dataset());
            assertFalse(t.question().isBlank(), t.taskId());
            assertFalse(t.referenceAnswer().isBlank(), t.taskId());
            assertTrue(t.taskId().startsWith(dataset + "/"), t.taskId());
        }
        assertEquals(rows, result.tasks().stream().map(TaskRecord::taskId).distinct().count(), "unique task ids");
    }

    @Test
    void answersAreNormalizedPerFormat() {
        TaskRecord amc = DatasetLoader.loadByName("amc23").tasks().get(0);
        assertEquals("27", amc.referenceAnswer()); // 27.0 in the file
        assertEquals("amc23/test/0", amc.taskId());

        List<TaskRecord> gaokao = DatasetLoader.loadByName("gaokao2023en").tasks();
        assertEquals("\\{x|-2\\leq x < 1\\}", gaokao.get(0).referenceAnswer());
        assertEquals("-1-\\sqrt{3}", gaokao.get(1).referenceAnswer());
        assertTrue(gaokao.stream().noneMatch(t -> t.referenceAnswer().matches(".*(?<!\\\\)\\$.*")), "no math delimiters left");

        assertEquals("1.6", DatasetLoader.loadByName("minerva_math").tasks().get(0).referenceAnswer());
        assertEquals("4.5e33", DatasetLoader.loadByName("minerva_math").tasks().get(1).referenceAnswer());

        List<TaskRecord> gsm = DatasetLoader.loadByName("gsm8k").tasks();
        assertEquals("18", gsm.get(0).referenceAnswer());
        assertEquals("70000", gsm.get(2).referenceAnswer());
        assertTrue(gsm.stream().allMatch(t -> t.referenceAnswer().matches("-?\\d+(\\.\\d+)?")), "plain numbers, no commas");

        TaskRecord math = DatasetLoader.loadByName("math500").tasks().get(0);
        assertEquals("\\left( 3, \\frac{\\pi}{2} \\right)", math.referenceAnswer());
        assertEquals("118", DatasetLoader.loadByName("math_l3to5_train").tasks().get(0).referenceAnswer());
    }

    @Test
    void logiqaQuestionsCarryLetteredOptions() {
        TaskRecord t = DatasetLoader.load(DATA.resolve("logiqa2/dev.jsonl")).tasks().get(0);
        assertEquals("D", t.referenceAnswer()); // answer index 3
        assertEquals(4, t.choices().size());
        assertTrue(t.question().startsWith("Jupiter is a gas giant planet"));
        assertTrue(t.question().contains("Which of the followings, if true, can best support the above statement?"));
        assertTrue(t.question().contains("\nA. After hundreds of millions of years"));
        assertTrue(t.question().contains("\nD. The satellite and the planets"));
        assertEquals(t.choices().get(3), "The satellite and the planets around it were formed from the same gas and dust at the same time.");
    }

    @Test
    void anyFileOfAFormatLoadsByPathAndMalformedLinesAreReported(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("my-questions.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"question\": \"What is 2+2?\", \"answer\": \"2+2=<<2+2=4>>4\\n#### 4\"}",
                "",
                "{\"question\": \"broken\"",
                "{\"question\": \"How many?\", \"answer\": \"no final line\"}",
                "{\"question\": \"Big?\", \"answer\": \"#### 1,234\"}"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> DatasetLoader.load(file));
        assertTrue(unknown.getMessage().contains("gsm8k"), unknown.getMessage());

        LoadResult result = DatasetLoader.load(file, DatasetFormat.parse("GSM8K"));
        assertEquals(List.of("4", "1234"), result.tasks().stream().map(TaskRecord::referenceAnswer).toList());
        assertEquals(List.of("gsm8k/my-questions/0", "gsm8k/my-questions/1"), result.tasks().stream().map(TaskRecord::taskId).toList());
        assertEquals(2, result.skipped().size());
        assertEquals(3, result.skipped().get(0).lineNumber());
        assertTrue(result.skipped().get(0).reason().startsWith("not JSON"));
        assertEquals(4, result.skipped().get(1).lineNumber());
        assertTrue(result.skipped().get(1).reason().contains("####"));
    }

    @Test
    void clearErrors(@TempDir Path dir) {
        IllegalArgumentException format = assertThrows(IllegalArgumentException.class, () -> DatasetFormat.parse("mmlu"));
        assertTrue(format.getMessage().contains("mmlu") && format.getMessage().contains(DatasetFormat.allowed()), format.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.load(dir.resolve("nope.jsonl"), DatasetFormat.MATH500));
        assertTrue(missing.getMessage().contains("not found") && missing.getMessage().contains("nope.jsonl"), missing.getMessage());
    }

    @Test
    void detectsFormatFromNamesAndPaths() {
        assertEquals(DatasetFormat.MINERVA_MATH, DatasetFormat.detect("minerva").orElseThrow());
        assertEquals(DatasetFormat.GSM8K, DatasetFormat.detect("/x/gsm8k/train.jsonl").orElseThrow());
        assertEquals(DatasetFormat.MATH_TRAIN, DatasetFormat.detect("data/math_l3to5_train/train.jsonl").orElseThrow());
        assertEquals(DatasetFormat.LOGIQA2, DatasetFormat.detect("logiqa2.jsonl").orElseThrow());
        assertTrue(DatasetFormat.detect("/tmp/questions.jsonl").isEmpty());
    }
}
