package dev.ccpo.policy.reward;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an answer string into a canonical LaTeX-ish form, so that equal answers written in
 * different styles become equal strings and the rest parses cleanly with Symja. Removes what does
 * not change the value (dollars, spacing commands, {@code \left}, units, degrees, percent,
 * thousands separators, "x =" prefixes) and spells out shorthand ({@code \frac12},
 * {@code \sqrt3}, {@code \dfrac}, mixed numbers). Stateless.
 */
public final class AnswerNormalizer {

    private static final Pattern TEXT_COMMAND = Pattern.compile(
            "\\\\(?:text|textbf|textrm|textit|textnormal|mbox|mathrm|mathbf|mathit|operatorname)\\s*\\{([^{}]*)}");
    /** A word group after a value: units ("5 \text{ cm}^2", "27 miles"). */
    private static final Pattern UNIT_TEXT = Pattern.compile(
            "(?<=[\\w}.)])\\s*\\\\(?:text|textrm|mbox|mathrm)\\s*\\{\\s*([A-Za-z][A-Za-z .]*)}(?:\\^\\{?\\d}?)?");
    private static final Pattern TRAILING_WORDS = Pattern.compile(
            "^(.*[\\d}])\\s+[A-Za-z]{2,}(?:\\s+[A-Za-z]+)*\\.?(?:\\^\\{?\\d}?)?$");
    private static final Pattern THOUSANDS = Pattern.compile("^([-+]?)(\\d{1,3}(?:,\\d{3})+)(\\.\\d+)?$");
    private static final Pattern MIXED_NUMBER = Pattern.compile("^(-?)(\\d+)\\\\frac\\{(\\d+)}\\{(\\d+)}$");
    private static final Pattern VARIABLE_PREFIX = Pattern.compile("^(?:[a-zA-Z]|\\\\[a-zA-Z]+)(?:_\\{?\\w+}?)?\\s*=(?!=)");
    private static final Pattern IN_PREFIX = Pattern.compile("^[a-zA-Z]\\s*\\\\in\\s*");
    private static final Pattern LETTER_OPTION = Pattern.compile("^\\(([A-Za-z])\\)$");

    private AnswerNormalizer() {}

    public static String normalize(String raw) {
        if (raw == null) return "";
        String s = raw.strip();
        s = s.replace("\\$", "").replace("$", "");
        s = s.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "");
        s = s.replace('\u2212', '-').replace("\u2264", "\\le ").replace("\u2265", "\\ge ")
                .replace("\u03c0", "\\pi ").replace("\u221e", "\\infty ").replace("\u00b0", "");
        s = s.replace("\\displaystyle", "").replace("\\left.", "").replace("\\right.", "");
        s = s.replaceAll("\\\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|biggl|biggr)(?![a-zA-Z])", "");
        // Spacing commands; "\\" (a matrix row break) is not one.
        s = s.replaceAll("(?<!\\\\)\\\\(?:[!,;: ]|quad|qquad)", " ").replace('~', ' ');
        s = s.replaceAll("\\\\[dt]frac(?![a-zA-Z])", "\\\\frac").replaceAll("\\\\[dt]binom(?![a-zA-Z])", "\\\\binom");
        s = s.replaceAll("\\\\leq?(?![a-zA-Z])", "\\\\le ").replaceAll("\\\\geq?(?![a-zA-Z])", "\\\\ge ")
                .replaceAll("\\\\(?:lvert|rvert|vert|mid)(?![a-zA-Z])", "|");
        // Degrees and percent do not change the number asked for.
        s = s.replaceAll("\\^\\s*\\{?\\s*\\\\circ\\s*}?", "").replaceAll("\\\\(?:circ|degree)(?![a-zA-Z])", "");
        s = s.replace("\\%", "").replace("%", "");
        // Connectives between solutions become list separators before words are dropped.
        s = s.replaceAll("\\\\text\\{\\s*(?:and|or)\\s*}", ",").replaceAll("\\s+(?:and|or)\\s+", ",");
        s = UNIT_TEXT.matcher(s).replaceAll("");
        s = TEXT_COMMAND.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1)));
        s = s.replaceAll("\\s+", " ").strip();
        s = s.replaceAll("[.,;]+$", "").strip();
        s = stripTrailingWords(s);
        s = IN_PREFIX.matcher(s).replaceFirst("");
        s = removeSpaces(s);
        s = braceArguments(s);
        s = stripOuterBraces(s);
        s = stripVariablePrefix(s);
        s = canonicalNumber(s);
        Matcher option = LETTER_OPTION.matcher(s);
        if (option.matches()) s = option.group(1);
        return s;
    }

    /** "x=3" -> "3", "y = 2x+3" -> "2x+3"; equations with other left sides are kept. */
    static String stripVariablePrefix(String s) {
        Matcher m = VARIABLE_PREFIX.matcher(s);
        if (m.find()) {
            String rest = s.substring(m.end());
            if (!rest.isEmpty() && !rest.contains("=")) return rest;
        }
        return s;
    }

    private static String stripTrailingWords(String s) {
        Matcher m = TRAILING_WORDS.matcher(s);
        return m.matches() ? m.group(1).strip() : s;
    }

    /** Whitespace only matters between two letters ("\cot x"). */
    private static String removeSpaces(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ') {
                boolean letterBefore = i > 0 && Character.isLetter(s.charAt(i - 1));
                boolean letterAfter = i + 1 < s.length() && Character.isLetter(s.charAt(i + 1));
                if (letterBefore && letterAfter) out.append(' ');
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    private static String stripOuterBraces(String s) {
        while (s.length() >= 2 && s.charAt(0) == '{' && matchingClose(s, 0) == s.length() - 1) {
            s = s.substring(1, s.length() - 1);
        }
        return s;
    }

    /** Thousands separators, trailing zeros, "27.0", ".5" and mixed numbers, for plain numbers only. */
    private static String canonicalNumber(String s) {
        Matcher t = THOUSANDS.matcher(s);
        if (t.matches()) s = t.group(1) + t.group(2).replace(",", "") + (t.group(3) == null ? "" : t.group(3));
        if (s.matches("[-+]?(?:\\d+\\.\\d*|\\.\\d+)")) {
            s = s.replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
            if (s.startsWith(".")) s = "0" + s;
            if (s.startsWith("-.")) s = "-0" + s.substring(1);
        }
        if (s.startsWith("+")) s = s.substring(1);
        if (s.equals("-0")) s = "0";
        Matcher mixed = MIXED_NUMBER.matcher(s);
        if (mixed.matches()) {
            BigInteger whole = new BigInteger(mixed.group(2));
            BigInteger num = new BigInteger(mixed.group(3));
            BigInteger den = new BigInteger(mixed.group(4));
            if (den.signum() != 0) {
                s = mixed.group(1) + "\\frac{" + whole.multiply(den).add(num) + "}{" + den + "}";
            }
        }
        return s;
    }

    /** Puts the arguments of \frac, \binom and \sqrt in braces: "\frac12" -> "\frac{1}{2}", "\sqrt3" -> "\sqrt{3}". */
    static String braceArguments(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        int i = 0;
        while (i < s.length()) {
            String command = commandAt(s, i);
            if (command.equals("\\frac") || command.equals("\\binom") || command.equals("\\sqrt")) {
                out.append(command);
                int[] pos = {i + command.length()};
                if (command.equals("\\sqrt")) {
                    skipSpaces(s, pos);
                    if (pos[0] < s.length() && s.charAt(pos[0]) == '[') {
                        int close = s.indexOf(']', pos[0]);
                        if (close < 0) { out.append(s.substring(pos[0])); return out.toString(); }
                        out.append(s, pos[0], close + 1);
                        pos[0] = close + 1;
                    }
                }
                int args = command.equals("\\sqrt") ? 1 : 2;
                for (int a = 0; a < args; a++) {
                    String arg = readArgument(s, pos);
                    if (arg == null) { out.append(s.substring(pos[0])); return out.toString(); }
                    out.append('{').append(braceArguments(arg)).append('}');
                }
                i = pos[0];
            } else if (!command.isEmpty()) {
                out.append(command);
                i += command.length();
            } else {
                out.append(s.charAt(i));
                i++;
            }
        }
        return out.toString();
    }

    private static String commandAt(String s, int i) {
        if (s.charAt(i) != '\\') return "";
        int j = i + 1;
        while (j < s.length() && Character.isLetter(s.charAt(j))) j++;
        if (j == i + 1) return s.substring(i, Math.min(i + 2, s.length()));
        return s.substring(i, j);
    }

    private static void skipSpaces(String s, int[] pos) {
        while (pos[0] < s.length() && s.charAt(pos[0]) == ' ') pos[0]++;
    }

    /** One TeX argument: a braced group, a command, or a single character; null if none. */
    private static String readArgument(String s, int[] pos) {
        skipSpaces(s, pos);
        if (pos[0] >= s.length()) return null;
        int start = pos[0];
        char c = s.charAt(start);
        if (c == '{') {
            int close = matchingClose(s, start);
            if (close < 0) return null;
            pos[0] = close + 1;
            return s.substring(start + 1, close);
        }
        if (c == '\\') {
            String command = commandAt(s, start);
            pos[0] = start + command.length();
            return command;
        }
        pos[0] = start + 1;
        return String.valueOf(c);
    }

    /** Index of the bracket closing the one at {@code open} (any of ([{ ... }])), or -1. Escaped braces are skipped. */
    static int matchingClose(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == '{' || s.charAt(i + 1) == '}')) { i++; continue; }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') {
                if (--depth == 0) return i;
            }
        }
        return -1;
    }
}
