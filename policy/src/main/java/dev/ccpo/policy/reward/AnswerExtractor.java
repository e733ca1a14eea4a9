package dev.ccpo.policy.reward;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the final answer in a model's output. Stateless; all methods are pure functions. */
public final class AnswerExtractor {

    private static final List<String> BOX_COMMANDS = List.of("\\boxed", "\\fbox");

    /** "the answer is X", "final answer: X", up to the end of the line. */
    private static final Pattern ANSWER_IS = Pattern.compile(
            "(?i)(?:final\\s+answer|the\\s+answer|answer)\\s*(?:is|:|=)\\s*:?\\s*(.+)");
    private static final Pattern NUMBER = Pattern.compile("-?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|-?\\.\\d+");
    private static final Pattern LETTER_IN_PARENS = Pattern.compile("^\\(?\\s*([A-Za-z])\\s*\\)?$");
    private static final Pattern CHOICE_PHRASE = Pattern.compile(
            "(?i:answer|option|choice)\\s*(?i:is|:|=)?\\s*(?:(?i:option|choice)\\s+)?\\(?\\s*([A-H])\\b\\s*\\)?");

    private AnswerExtractor() {}

    /** Content of the last {@code \boxed{...}} or {@code \fbox{...}} with balanced braces. */
    public static Optional<String> lastBoxed(String text) {
        if (text == null) return Optional.empty();
        int best = -1;
        String bestCommand = null;
        for (String command : BOX_COMMANDS) {
            int at = text.lastIndexOf(command);
            if (at > best) { best = at; bestCommand = command; }
        }
        while (best >= 0) {
            Optional<String> content = boxContent(text, best + bestCommand.length());
            if (content.isPresent()) return content;
            // Unbalanced (e.g. cut off by the token limit): try the previous box.
            int previous = -1;
            for (String command : BOX_COMMANDS) {
                int at = text.lastIndexOf(command, best - 1);
                if (at > previous) { previous = at; bestCommand = command; }
            }
            best = previous;
        }
        return Optional.empty();
    }

    private static Optional<String> boxContent(String text, int from) {
        int i = from;
        while (i < text.length() && text.charAt(i) == ' ') i++;
        if (i >= text.length()) return Optional.empty();
        if (text.charAt(i) != '{') {
            // "\boxed 5": the shorthand form takes the next token.
            if (i == from) return Optional.empty();
            int end = i;
            while (end < text.length() && !Character.isWhitespace(text.charAt(end)) && text.charAt(end) != '$') end++;
            return end > i ? Optional.of(text.substring(i, end)) : Optional.empty();
        }
        int depth = 0;
        for (int j = i; j < text.length(); j++) {
            char c = text.charAt(j);
            if (c == '\\' && j + 1 < text.length()) { j++; continue; } // \{ and \} do not count
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return Optional.of(text.substring(i + 1, j));
        }
        return Optional.empty();
    }

    /**
     * The final answer of a math output: the last box, else the last "the answer is ..." phrase,
     * else (NUMERIC only) the last number. Empty if none.
     */
    public static Optional<String> extract(String output, AnswerKind kind) {
        if (output == null || output.isBlank()) return Optional.empty();
        if (kind == AnswerKind.CHOICE) return extractChoice(output);
        Optional<String> boxed = lastBoxed(output);
        if (boxed.isPresent()) return boxed.map(String::trim).filter(s -> !s.isEmpty());
        Optional<String> phrase = lastAnswerPhrase(output);
        if (phrase.isPresent()) return phrase;
        if (kind == AnswerKind.NUMERIC) return lastNumber(output);
        return Optional.empty();
    }

    static Optional<String> lastAnswerPhrase(String output) {
        Matcher m = ANSWER_IS.matcher(output);
        String last = null;
        while (m.find()) last = m.group(1);
        if (last == null) return Optional.empty();
        String s = last.trim();
        // Keep "$...$" together, then cut at the end of the sentence (a period not inside a number).
        if (s.startsWith("$")) {
            int close = s.indexOf('$', 1);
            if (close > 0) return nonEmpty(s.substring(1, close));
        }
        s = s.replaceAll("\\.(?!\\d)\\s.*$", "").replaceAll("\\.$", "").trim();
        return nonEmpty(s.replace("$", "").trim());
    }

    static Optional<String> lastNumber(String output) {
        Matcher m = NUMBER.matcher(output);
        String last = null;
        while (m.find()) last = m.group();
        return Optional.ofNullable(last).map(n -> n.replace(",", ""));
    }

    /** An option letter, upper case: from the last box, an "answer is (C)" phrase, or a lone letter. */
    static Optional<String> extractChoice(String output) {
        Optional<String> boxed = lastBoxed(output);
        if (boxed.isPresent()) {
            String inner = boxed.get().replaceAll("\\\\text\\{([^}]*)}", "$1").trim();
            Matcher m = LETTER_IN_PARENS.matcher(inner);
            if (m.matches()) return Optional.of(m.group(1).toUpperCase());
            Matcher lead = Pattern.compile("^\\(?([A-H])[).:\\s]").matcher(inner + " ");
            if (lead.find()) return Optional.of(lead.group(1));
        }
        Matcher m = CHOICE_PHRASE.matcher(output);
        String last = null;
        while (m.find()) last = m.group(1);
        if (last != null) return Optional.of(last.toUpperCase());
        Matcher lone = LETTER_IN_PARENS.matcher(output.trim().replaceAll("\\.$", ""));
        if (lone.matches()) return Optional.of(lone.group(1).toUpperCase());
        return Optional.empty();
    }

    private static Optional<String> nonEmpty(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.trim());
    }
}
