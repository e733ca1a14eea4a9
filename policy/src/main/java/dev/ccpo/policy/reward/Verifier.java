package dev.ccpo.policy.reward;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reward: 1 if the final answer of a model output is equivalent to the reference, else 0.
 *
 * <p>Comparison goes from cheap to expensive: normalized strings ({@link AnswerNormalizer}),
 * structure (unions of intervals, sets and lists of solutions compared unordered, tuples,
 * intervals and matrices compared in order with their brackets, equations up to sign), plain
 * numbers with a relative tolerance, then Symja for expressions, under a time limit. Anything that
 * fails or times out is "not equivalent"; {@link #score} never throws.
 *
 * <p>Thread-safe. Symja comparisons are serialized per instance (see {@link SymjaEvaluator});
 * create one Verifier per worker thread for parallel scoring. Close it to stop its Symja thread.
 */
public final class Verifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Verifier.class);

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    /** Tight on purpose: 13535 vs 13536 must differ; a model must give exact values. */
    public static final double DEFAULT_REL_TOLERANCE = 1e-6;

    private static final Pattern PLAIN_NUMBER = Pattern.compile("-?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?");
    private static final Pattern SIMPLE_FRACTION = Pattern.compile("(-?)\\\\frac\\{(-?\\d+)}\\{(-?\\d+)}|(-?\\d+)/(\\d+)");
    private static final Pattern BASE_NUMBER = Pattern.compile("([0-9A-Za-z]+)_\\{?(\\d+)}?");
    private static final Pattern WORDS = Pattern.compile("[A-Za-z][A-Za-z ]+");
    private static final Pattern MATRIX = Pattern.compile("^\\\\begin\\{[pbvBV]?matrix}(.*)\\\\end\\{[pbvBV]?matrix}$");
    private static final int MAX_DEPTH = 6;

    private final double relTolerance;
    private final SymjaEvaluator symja;

    public Verifier() {
        this(DEFAULT_TIMEOUT, DEFAULT_REL_TOLERANCE);
    }

    /** @param timeout limit for one symbolic comparison; @param relTolerance for numbers. */
    public Verifier(Duration timeout, double relTolerance) {
        this.relTolerance = relTolerance;
        this.symja = new SymjaEvaluator(timeout, relTolerance);
    }

    /** Reward of a model output against the reference: 1.0 or 0.0. Never throws. */
    public double score(String modelOutput, String reference, AnswerKind kind) {
        return score(modelOutput, reference, kind, List.of());
    }

    /**
     * As {@link #score(String, String, AnswerKind)}; for CHOICE tasks an answer that repeats an
     * option's text instead of its letter also counts.
     */
    public double score(String modelOutput, String reference, AnswerKind kind, List<String> choices) {
        try {
            Optional<String> answer = extractAnswer(modelOutput, kind, choices);
            return answer.isPresent() && equivalent(answer.get(), reference, kind) ? 1.0 : 0.0;
        } catch (RuntimeException | StackOverflowError e) {
            log.debug("Verifier error, scoring 0: {}", e.toString());
            return 0.0;
        }
    }

    /** The final answer found in a model output, as written (not normalized); empty if none. */
    public Optional<String> extractAnswer(String modelOutput, AnswerKind kind) {
        return extractAnswer(modelOutput, kind, List.of());
    }

    /** As {@link #extractAnswer(String, AnswerKind)}; for CHOICE, an option's text maps to its letter. Never throws. */
    public Optional<String> extractAnswer(String modelOutput, AnswerKind kind, List<String> choices) {
        try {
            return kind == AnswerKind.CHOICE ? extractChoice(modelOutput, choices) : AnswerExtractor.extract(modelOutput, kind);
        } catch (RuntimeException | StackOverflowError e) {
            log.debug("Answer extraction failed: {}", e.toString());
            return Optional.empty();
        }
    }

    /** Whether two extracted answers are the same answer (used for majority votes too). Never throws. */
    public boolean equivalent(String answer, String reference, AnswerKind kind) {
        try {
            if (answer == null || reference == null) return false;
            if (kind == AnswerKind.CHOICE) {
                String a = normalizeChoice(answer);
                return !a.isEmpty() && a.equals(normalizeChoice(reference));
            }
            return same(AnswerNormalizer.normalize(answer), AnswerNormalizer.normalize(reference), 0);
        } catch (RuntimeException | StackOverflowError e) {
            log.debug("Verifier error comparing {} and {}: {}", answer, reference, e.toString());
            return false;
        }
    }

    private Optional<String> extractChoice(String output, List<String> choices) {
        Optional<String> letter = AnswerExtractor.extract(output, AnswerKind.CHOICE);
        if (letter.isPresent() || choices.isEmpty() || output == null) return letter;
        // Option text instead of a letter: the boxed text, or the whole output, equal to one option.
        String said = AnswerExtractor.lastBoxed(output).orElse(output);
        String canonical = canonicalText(said);
        for (int i = 0; i < choices.size(); i++) {
            if (!canonical.isEmpty() && canonical.equals(canonicalText(choices.get(i)))) {
                return Optional.of(String.valueOf((char) ('A' + i)));
            }
        }
        return Optional.empty();
    }

    private static String canonicalText(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", " ").strip();
    }

    /** "(b)", "\\text{B}", " B. " -> "B". */
    private static String normalizeChoice(String s) {
        return s.replaceAll("\\\\text\\{([^}]*)}", "$1").replaceAll("[\\s$().:]", "").toUpperCase(Locale.ROOT);
    }

    /** Structural comparison of two normalized answers. */
    private boolean same(String a, String b, int depth) {
        if (a.isEmpty() || b.isEmpty()) return false;
        if (a.equals(b)) return true;
        if (depth > MAX_DEPTH) return false;

        List<String> unionA = splitTopLevel(a, "\\cup");
        List<String> unionB = splitTopLevel(b, "\\cup");
        if (unionA.size() > 1 || unionB.size() > 1) return sameUnordered(unionA, unionB, depth);

        Optional<List<List<String>>> matrixA = matrix(a);
        Optional<List<List<String>>> matrixB = matrix(b);
        if (matrixA.isPresent() || matrixB.isPresent()) {
            return matrixA.isPresent() && matrixB.isPresent() && sameMatrix(matrixA.get(), matrixB.get(), depth);
        }

        // Sets and bare lists of solutions: order does not matter; "1 \pm \sqrt{2}" is two solutions.
        List<String> listA = solutions(a);
        List<String> listB = solutions(b);
        if (listA.size() > 1 || listB.size() > 1) return sameUnordered(listA, listB, depth);

        // Tuples, intervals and points: same brackets, elements in order.
        Optional<Bracketed> tupleA = Bracketed.of(a);
        Optional<Bracketed> tupleB = Bracketed.of(b);
        if (tupleA.isPresent() || tupleB.isPresent()) {
            if (tupleA.isEmpty() || tupleB.isEmpty()) return false;
            Bracketed ta = tupleA.get();
            Bracketed tb = tupleB.get();
            if (ta.open != tb.open || ta.close != tb.close || ta.items.size() != tb.items.size()) return false;
            for (int i = 0; i < ta.items.size(); i++) {
                if (!same(ta.items.get(i), tb.items.get(i), depth + 1)) return false;
            }
            return true;
        }

        List<String> sidesA = splitTopLevel(a, "=");
        List<String> sidesB = splitTopLevel(b, "=");
        if (sidesA.size() > 1 || sidesB.size() > 1) {
            if (sidesA.size() != 2 || sidesB.size() != 2) return false;
            return symja.equivalent("(" + sidesA.get(0) + ")-(" + sidesA.get(1) + ")",
                    "(" + sidesB.get(0) + ")-(" + sidesB.get(1) + ")", true);
        }
        return sameAtom(a, b);
    }

    private boolean sameAtom(String a, String b) {
        if (WORDS.matcher(a).matches() || WORDS.matcher(b).matches()) {
            return a.strip().equalsIgnoreCase(b.strip()); // names, "even", "ellipse": no algebra on words
        }
        Matcher baseA = BASE_NUMBER.matcher(a);
        Matcher baseB = BASE_NUMBER.matcher(b);
        boolean hasBaseA = baseA.matches() && !a.startsWith("\\");
        boolean hasBaseB = baseB.matches() && !b.startsWith("\\");
        if (hasBaseA || hasBaseB) {
            // "204_5": the digits as written in that base; a bare "204" is read in the same base.
            String digitsA = hasBaseA ? baseA.group(1) : a;
            String digitsB = hasBaseB ? baseB.group(1) : b;
            boolean sameBase = !hasBaseA || !hasBaseB || baseA.group(2).equals(baseB.group(2));
            return sameBase && digitsA.equalsIgnoreCase(digitsB);
        }
        Optional<BigDecimal> numA = number(a);
        Optional<BigDecimal> numB = number(b);
        if (numA.isPresent() && numB.isPresent()) {
            if (numA.get().compareTo(numB.get()) == 0) return true;
            return Tolerance.close(numA.get().doubleValue(), numB.get().doubleValue(), relTolerance);
        }
        return symja.equivalent(a, b, false);
    }

    /** A plain decimal, scientific number, or integer fraction, exactly; empty otherwise. */
    private static Optional<BigDecimal> number(String s) {
        try {
            if (PLAIN_NUMBER.matcher(s).matches()) return Optional.of(new BigDecimal(s));
            Matcher f = SIMPLE_FRACTION.matcher(s);
            if (f.matches()) {
                boolean latex = f.group(2) != null;
                BigDecimal num = new BigDecimal(latex ? f.group(2) : f.group(4));
                BigDecimal den = new BigDecimal(latex ? f.group(3) : f.group(5));
                if (den.signum() == 0) return Optional.empty();
                BigDecimal value = num.divide(den, MathContext.DECIMAL128);
                return Optional.of(latex && !f.group(1).isEmpty() ? value.negate() : value);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private boolean sameUnordered(List<String> as, List<String> bs, int depth) {
        if (as.size() != bs.size()) return false;
        boolean[] used = new boolean[bs.size()];
        outer:
        for (String x : as) {
            for (int j = 0; j < bs.size(); j++) {
                if (!used[j] && same(x, bs.get(j), depth + 1)) { used[j] = true; continue outer; }
            }
            return false;
        }
        return true;
    }

    private boolean sameMatrix(List<List<String>> a, List<List<String>> b, int depth) {
        if (a.size() != b.size()) return false;
        for (int r = 0; r < a.size(); r++) {
            if (a.get(r).size() != b.get(r).size()) return false;
            for (int c = 0; c < a.get(r).size(); c++) {
                if (!same(a.get(r).get(c), b.get(r).get(c), depth + 1)) return false;
            }
        }
        return true;
    }

    private static Optional<List<List<String>>> matrix(String s) {
        Matcher m = MATRIX.matcher(s);
        if (!m.matches()) return Optional.empty();
        List<List<String>> rows = new ArrayList<>();
        for (String row : m.group(1).split("\\\\\\\\")) {
            if (row.isBlank()) continue;
            List<String> cells = new ArrayList<>();
            for (String cell : row.split("&")) cells.add(AnswerNormalizer.stripVariablePrefix(cell.strip()));
            rows.add(cells);
        }
        return Optional.of(rows);
    }

    /** Elements of a set "\{a,b\}" or a bare list "a, b", each with "x=" dropped and "\pm" expanded. */
    private static List<String> solutions(String s) {
        String inner = s;
        boolean set = s.startsWith("\\{") && s.endsWith("\\}") && s.length() >= 4;
        if (set) inner = s.substring(2, s.length() - 2);
        if (!set && Bracketed.of(s).isPresent()) return List.of(s);
        List<String> out = new ArrayList<>();
        for (String item : splitTopLevel(inner, ",")) {
            String element = AnswerNormalizer.stripVariablePrefix(item);
            List<String> pm = splitTopLevel(element, "\\pm");
            if (pm.size() == 2 && !pm.get(0).isEmpty()) {
                out.add(pm.get(0) + "+" + pm.get(1));
                out.add(pm.get(0) + "-" + pm.get(1));
            } else {
                out.add(element);
            }
        }
        return out;
    }

    /** Splits at a separator that is outside all brackets and braces; escaped braces count as brackets. */
    static List<String> splitTopLevel(String s, String separator) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == '{' || s.charAt(i + 1) == '}')) {
                depth += s.charAt(i + 1) == '{' ? 1 : -1;
                i++;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (depth == 0 && s.startsWith(separator, i)
                    && !(Character.isLetter(separator.charAt(separator.length() - 1))
                         && i + separator.length() < s.length() && Character.isLetter(s.charAt(i + separator.length())))) {
                parts.add(s.substring(start, i));
                i += separator.length() - 1;
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** A whole string in (), [], (], [) with top-level commas: a tuple, point or interval. */
    private record Bracketed(char open, char close, List<String> items) {
        static Optional<Bracketed> of(String s) {
            if (s.length() < 2) return Optional.empty();
            char open = s.charAt(0);
            char close = s.charAt(s.length() - 1);
            if ((open != '(' && open != '[') || (close != ')' && close != ']')) return Optional.empty();
            if (AnswerNormalizer.matchingClose(s, 0) != s.length() - 1) return Optional.empty();
            List<String> items = splitTopLevel(s.substring(1, s.length() - 1), ",");
            if (items.size() < 2) return Optional.empty();
            return Optional.of(new Bracketed(open, close, items));
        }
    }

    @Override
    public void close() {
        symja.close();
    }
}
