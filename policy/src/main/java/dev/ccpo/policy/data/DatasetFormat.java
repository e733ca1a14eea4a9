package dev.ccpo.policy.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.ccpo.policy.reward.AnswerKind;

/**
 * The JSON-lines layouts of the benchmark files. Each format reads any file laid out the same way;
 * {@link #defaultFile()} is where the shared copy lives under the data directory.
 */
public enum DatasetFormat {
    /** problem, solution, answer (LaTeX). */
    MATH500("math500", "math500/test.jsonl", AnswerKind.LATEX),
    /** problem, answer as a float (27.0). */
    AMC23("amc23", "amc23/test.jsonl", AnswerKind.NUMERIC),
    /** question, answer in LaTeX inside $...$. */
    GAOKAO2023EN("gaokao2023en", "gaokao2023en/test.jsonl", AnswerKind.LATEX),
    /** problem, solution; the answer is the last \boxed{} of the solution. */
    MINERVA_MATH("minerva_math", "minerva_math/test.jsonl", AnswerKind.LATEX),
    /** question, answer ending in "#### N". */
    GSM8K("gsm8k", "gsm8k/test.jsonl", AnswerKind.NUMERIC),
    /** text, question, options, answer index. */
    LOGIQA2("logiqa2", "logiqa2/test.jsonl", AnswerKind.CHOICE),
    /** problem, answer (LaTeX): MATH levels 3-5 training problems. */
    MATH_TRAIN("math_l3to5_train", "math_l3to5_train/train.jsonl", AnswerKind.LATEX);

    private final String id;
    private final String defaultFile;
    private final AnswerKind answerKind;

    DatasetFormat(String id, String defaultFile, AnswerKind answerKind) {
        this.id = id;
        this.defaultFile = defaultFile;
        this.answerKind = answerKind;
    }

    /** Name used in configuration and task ids, e.g. {@code minerva_math}. */
    public String id() { return id; }

    /** Path of the shared copy relative to the data directory. */
    public String defaultFile() { return defaultFile; }

    public AnswerKind answerKind() { return answerKind; }

    /** Parses a format by id or constant name, case-insensitively ("gsm8k", "MINERVA_MATH", "minerva-math"). */
    public static DatasetFormat parse(String name) {
        String key = name == null ? "" : name.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        for (DatasetFormat f : values()) {
            if (f.id.equals(key) || f.name().toLowerCase(Locale.ROOT).equals(key)) return f;
        }
        if (key.equals("math") || key.equals("math_train") || key.equals("math_l3to5")) return MATH_TRAIN;
        if (key.equals("minerva")) return MINERVA_MATH;
        if (key.equals("gaokao")) return GAOKAO2023EN;
        if (key.equals("logiqa")) return LOGIQA2;
        throw new IllegalArgumentException("Unknown dataset format '" + name + "'; allowed: " + allowed());
    }

    /** Guesses the format from a dataset name or a file path (its folder and file names). */
    public static Optional<DatasetFormat> detect(String datasetNameOrPath) {
        if (datasetNameOrPath == null) return Optional.empty();
        try {
            return Optional.of(parse(datasetNameOrPath));
        } catch (IllegalArgumentException notAName) {
            // fall through to the path
        }
        Path p = Path.of(datasetNameOrPath);
        for (Path part = p; part != null; part = part.getParent()) {
            Path name = part.getFileName();
            if (name == null) continue;
            String stem = name.toString().replaceFirst("\\.jsonl?$", "");
            try {
                return Optional.of(parse(stem));
            } catch (IllegalArgumentException ignored) {
                // try the folder above
            }
        }
        return Optional.empty();
    }

    public static String allowed() {
        return Arrays.stream(values()).map(DatasetFormat::id).collect(Collectors.joining(", "));
    }
}
