package dev.ccpo.policy.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ccpo.policy.reward.AnswerExtractor;

/**
 * Reads benchmark files (JSON lines) into {@link TaskRecord}s. Task ids are
 * {@code <format id>/<file name without extension>/<row index from 0>}, stable for a given file.
 * Lines that cannot be read are returned in {@link LoadResult#skipped()} and logged, never dropped silently.
 */
public final class DatasetLoader {

    private static final Logger log = LoggerFactory.getLogger(DatasetLoader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private DatasetLoader() {}

    /** Loads the project's copy of a dataset by name ("math500", "gsm8k", ...) from {@link DataDirectory}. */
    public static LoadResult loadByName(String datasetName) {
        DatasetFormat format = DatasetFormat.parse(datasetName);
        return load(DataDirectory.require().resolve(format.defaultFile()), format);
    }

    /** Loads any file, detecting the format from its path (folder or file name). */
    public static LoadResult load(Path file) {
        DatasetFormat format = DatasetFormat.detect(file.toString()).orElseThrow(() -> new IllegalArgumentException(
                "Cannot tell the dataset format of " + file + " from its path; give one of: " + DatasetFormat.allowed()));
        return load(file, format);
    }

    /** Loads any file laid out as {@code format}. */
    public static LoadResult load(Path file, DatasetFormat format) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("Dataset file not found: " + file.toAbsolutePath()
                    + " (format " + format.id() + "; the project's copies are under data/, or set -D" + DataDirectory.PROPERTY + ")");
        }
        String split = file.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        List<TaskRecord> tasks = new ArrayList<>();
        List<LoadResult.SkippedLine> skipped = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) continue;
                String taskId = format.id() + "/" + split + "/" + tasks.size();
                try {
                    tasks.add(parse(JSON.readTree(line), format, taskId));
                } catch (JsonProcessingException e) {
                    skipped.add(new LoadResult.SkippedLine(lineNumber, "not JSON: " + e.getOriginalMessage()));
                } catch (MalformedRowException e) {
                    skipped.add(new LoadResult.SkippedLine(lineNumber, e.getMessage()));
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("Dataset file not found: " + file.toAbsolutePath(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read dataset file " + file, e);
        }
        if (!skipped.isEmpty()) {
            log.warn("{}: skipped {} malformed line(s) of {} as {}: {}", file, skipped.size(), tasks.size() + skipped.size(),
                    format.id(), skipped.size() > 5 ? skipped.subList(0, 5) + " ..." : skipped);
        }
        log.debug("Loaded {} tasks from {} as {}", tasks.size(), file, format.id());
        return new LoadResult(file, format, tasks, skipped);
    }

    static TaskRecord parse(JsonNode row, DatasetFormat format, String taskId) {
        return switch (format) {
            case MATH500, MATH_TRAIN -> task(taskId, format, text(row, "problem"), text(row, "answer"));
            case AMC23 -> task(taskId, format, firstText(row, "problem", "question"), plainNumber(row.get("answer")));
            case GAOKAO2023EN -> task(taskId, format, text(row, "question"), stripMathDelimiters(text(row, "answer")));
            case MINERVA_MATH -> task(taskId, format, text(row, "problem"),
                    AnswerExtractor.lastBoxed(text(row, "solution")).map(String::strip)
                            .orElseThrow(() -> new MalformedRowException("solution has no \\boxed{} answer")));
            case GSM8K -> task(taskId, format, text(row, "question"), gsm8kAnswer(text(row, "answer")));
            case LOGIQA2 -> logiqa(row, taskId);
        };
    }

    private static TaskRecord task(String taskId, DatasetFormat format, String question, String answer) {
        if (answer.isBlank()) throw new MalformedRowException("empty answer");
        return new TaskRecord(taskId, format.id(), question, answer, format.answerKind());
    }

    private static TaskRecord logiqa(JsonNode row, String taskId) {
        JsonNode options = row.get("options");
        if (options == null || !options.isArray() || options.isEmpty()) throw new MalformedRowException("missing field 'options'");
        List<String> choices = new ArrayList<>();
        options.forEach(o -> choices.add(o.asText().strip()));
        JsonNode answer = row.get("answer");
        if (answer == null || !answer.canConvertToInt()) throw new MalformedRowException("missing integer field 'answer'");
        int index = answer.asInt();
        if (index < 0 || index >= choices.size()) {
            throw new MalformedRowException("answer index " + index + " outside the " + choices.size() + " options");
        }
        StringBuilder question = new StringBuilder();
        question.append(text(row, "text").strip()).append("\n\n").append(text(row, "question").strip()).append('\n');
        for (int i = 0; i < choices.size(); i++) {
            question.append('\n').append(TaskRecord.optionLetter(i)).append(". ").append(choices.get(i));
        }
        return new TaskRecord(taskId, DatasetFormat.LOGIQA2.id(), question.toString(), TaskRecord.optionLetter(index),
                DatasetFormat.LOGIQA2.answerKind(), choices);
    }

    /** "... #### 1,234" -> "1234". */
    static String gsm8kAnswer(String solution) {
        int at = solution.lastIndexOf("####");
        if (at < 0) throw new MalformedRowException("answer has no '####' final line");
        return solution.substring(at + 4).strip().replace(",", "");
    }

    /** 27.0 -> "27", 0.5 -> "0.5". */
    static String plainNumber(JsonNode value) {
        if (value == null || value.isNull()) throw new MalformedRowException("missing field 'answer'");
        try {
            BigDecimal d = new BigDecimal(value.asText().strip());
            String s = d.stripTrailingZeros().toPlainString();
            return s.equals("-0") ? "0" : s;
        } catch (NumberFormatException e) {
            throw new MalformedRowException("answer is not a number: " + value.asText());
        }
    }

    /** "$\\frac{\\pi}{3}$" -> "\\frac{\\pi}{3}", "$5$ or $9$" -> "5 or 9"; an escaped "\\$" stays. */
    static String stripMathDelimiters(String answer) {
        return answer.replaceAll("(?<!\\\\)\\$", "").strip();
    }

    private static String text(JsonNode row, String field) {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) throw new MalformedRowException("missing field '" + field + "'");
        return v.asText();
    }

    private static String firstText(JsonNode row, String... fields) {
        for (String f : fields) {
            JsonNode v = row.get(f);
            if (v != null && !v.isNull()) return v.asText();
        }
        throw new MalformedRowException("missing field '" + fields[0] + "'");
    }

    /** A row that parsed as JSON but lacks what its format needs. */
    static final class MalformedRowException extends RuntimeException {
        MalformedRowException(String message) { super(message); }
    }
}
