package dev.ccpo.policy.team;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;

/**
 * Role prompt templates, read from {@code prompts/<name>.txt} on the class path, or from a folder
 * that overrides them. A template is a system message, a line "---", and a user message, with
 * placeholders {question}, {thought}, {answer_format} and {role}. Values are inserted once and
 * never re-scanned, so braces in a question stay as they are. Thread-safe.
 */
public final class PromptLibrary {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(question|thought|answer_format|role)}");
    private static final String SEPARATOR = "\n---\n";

    private final Path overrideDir;
    private final Map<String, String> cache = new ConcurrentHashMap<>();

    /** Templates from the class path only. */
    public PromptLibrary() {
        this(null);
    }

    /** Templates from {@code overrideDir/<name>.txt} where present, else from the class path. */
    public PromptLibrary(Path overrideDir) {
        this.overrideDir = overrideDir;
    }

    /** The conversation for one agent turn. */
    public List<ChatMessage> render(String template, String role, TaskRecord task, String thought) {
        String text = template(template);
        Map<String, String> values = Map.of(
                "question", questionWithOptions(task),
                "thought", thought == null ? "" : thought.strip(),
                "answer_format", template(task.answerKind() == AnswerKind.CHOICE ? "answer_format.choice" : "answer_format.math").strip(),
                "role", role);
        Matcher m = PLACEHOLDER.matcher(text);
        String filled = m.replaceAll(r -> Matcher.quoteReplacement(values.get(r.group(1))));
        int split = filled.indexOf(SEPARATOR);
        List<ChatMessage> messages = new ArrayList<>(2);
        if (split >= 0) {
            messages.add(ChatMessage.system(filled.substring(0, split).strip()));
            messages.add(ChatMessage.user(filled.substring(split + SEPARATOR.length()).strip()));
        } else {
            messages.add(ChatMessage.user(filled.strip()));
        }
        return messages;
    }

    /** The question, with lettered options appended when the task has choices the text does not list yet. */
    static String questionWithOptions(TaskRecord task) {
        String q = task.question().strip();
        if (task.choices().isEmpty() || q.contains("A. " + task.choices().get(0))) return q;
        StringBuilder sb = new StringBuilder(q).append('\n');
        for (int i = 0; i < task.choices().size(); i++) {
            sb.append('\n').append(TaskRecord.optionLetter(i)).append(". ").append(task.choices().get(i));
        }
        return sb.toString();
    }

    /** The raw text of a template; fails naming the template if it does not exist. */
    public String template(String name) {
        return cache.computeIfAbsent(name, this::read);
    }

    private String read(String name) {
        try {
            if (overrideDir != null) {
                Path file = overrideDir.resolve(name + ".txt");
                if (Files.isRegularFile(file)) return normalizeNewlines(Files.readString(file, StandardCharsets.UTF_8));
            }
            try (InputStream in = PromptLibrary.class.getResourceAsStream("/prompts/" + name + ".txt")) {
                if (in == null) throw new IllegalArgumentException("No prompt template '" + name + "' (prompts/" + name + ".txt)");
                return normalizeNewlines(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read prompt template " + name, e);
        }
    }

    private static String normalizeNewlines(String s) {
        return s.replace("\r\n", "\n");
    }
}
