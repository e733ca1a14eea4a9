package dev.ccpo.policy.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Answer pairs as models write them against references as datasets write them. */
class VerifierTableTest {

    private static Verifier verifier;

    @BeforeAll
    static void start() { verifier = new Verifier(); }

    @AfterAll
    static void stop() { verifier.close(); }

    static Stream<Arguments> pairs() {
        return Stream.of(
                // answer, reference, kind, expected
                row("\\frac{1}{2}", "\\frac12", "LATEX", true),
                row("\\dfrac{1}{2}", "0.5", "LATEX", true),
                row("\\tfrac{3}{4}", "\\frac 34", "LATEX", true),
                row("\\frac{9}{19}", "\\frac9{19}", "LATEX", true),
                row("\\frac{270}{7}", "\\frac{270}7\\text{ degrees}", "LATEX", true),
                row("\\frac{1}{3}", "0.3333", "LATEX", false),
                row("\\frac{2}{3}", "\\frac{3}{2}", "LATEX", false),
                row("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", "LATEX", true),
                row("(3, \\pi/2)", "\\left( 3, \\frac{\\pi}{2} \\right)", "LATEX", true),
                row("(\\frac{\\pi}{2}, 3)", "\\left( 3, \\frac{\\pi}{2} \\right)", "LATEX", false),
                row("10080", "10,\\!080", "LATEX", true),
                row("11,111,111,100", "11,\\! 111,\\! 111,\\! 100", "LATEX", true),
                row("58500", "58,500", "NUMERIC", true),
                row("1,000", "1000", "NUMERIC", true),
                row("13536", "13535", "NUMERIC", false),
                row("27", "27.0", "NUMERIC", true),
                row("2.50", "2.5", "NUMERIC", true),
                row("2.5", "2.05", "NUMERIC", false),
                row(".35625", "0.35625", "LATEX", true),
                row("0.0000672", ".0000672", "LATEX", true),
                row("2\\frac{1}{2}", "\\frac{5}{2}", "LATEX", true),
                row("137 \\frac{1}{2}", "137.5", "LATEX", true),
                row("1\\frac{4}{5}", "\\frac{9}{5}", "LATEX", true),
                row("1\\frac{4}{5}", "\\frac{4}{5}", "LATEX", false),
                row("x=5", "5", "LATEX", true),
                row("5", "x=5", "LATEX", true),
                row("x = -3", "3", "LATEX", false),
                row("[-2,7]", "x \\in [-2,7]", "LATEX", true),
                row("(-2,7]", "x \\in [-2,7]", "LATEX", false),
                row("(-\\infty, 0]", "(-\\infty,0]", "LATEX", true),
                row("(-\\infty, 0)", "(-\\infty, 0]", "LATEX", false),
                row("(-\\infty,2)\\cup(3,\\infty)", "(-\\infty, 2) \\cup (3, \\infty)", "LATEX", true),
                row("(3,\\infty)\\cup(-\\infty,2)", "(-\\infty, 2) \\cup (3, \\infty)", "LATEX", true),
                row("(-\\infty,2]\\cup(3,\\infty)", "(-\\infty, 2) \\cup (3, \\infty)", "LATEX", false),
                row("\\left(\\frac{3}{5},\\frac{8}{3}\\right]", "\\left(\\frac{3}{5},\\frac{8}{3}\\right]", "LATEX", true),
                row("-2, 1", "1,-2", "LATEX", true),
                row("1, -2", "-2,1", "LATEX", true),
                row("7, 5, 3", "3, 5, 7", "LATEX", true),
                row("3, 5", "3, 5, 7", "LATEX", false),
                row("\\{-2, 1+\\sqrt{5}, 1-\\sqrt{5}\\}", "\\{1\\pm\\sqrt{5},-2\\}", "LATEX", true),
                row("1+\\sqrt{19}, 1-\\sqrt{19}", "1 \\pm \\sqrt{19}", "LATEX", true),
                row("x = 3 + 2\\sqrt{2}, x = 3 - 2\\sqrt{2}", "3 \\pm 2 \\sqrt{2}", "LATEX", true),
                row("1+\\sqrt{19}", "1 \\pm \\sqrt{19}", "LATEX", false),
                row("\\binom{5}{2}", "10", "LATEX", true),
                row("\\dbinom{6}{3}", "21", "LATEX", false),
                row("\\sqrt3", "\\sqrt{3}", "LATEX", true),
                row("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt3}", "LATEX", true),
                row("2\\sqrt2", "\\sqrt{8}", "LATEX", true),
                row("11\\sqrt{2}", "11\\sqrt2", "LATEX", true),
                row("11\\sqrt{5}+11", "11 \\sqrt{5} + 11", "LATEX", true),
                row("3\\sqrt{13}", "\\sqrt{117}", "LATEX", true),
                row("3\\sqrt{13}", "\\sqrt{113}", "LATEX", false),
                row("30^\\circ", "30", "LATEX", true),
                row("30^{\\circ}", "30^\\circ", "LATEX", true),
                row("106", "106^\\circ", "LATEX", true),
                row("30 degrees", "30^\\circ", "LATEX", true),
                row("45\\%", "45", "NUMERIC", true),
                row("\\$18.90", "\\$18.90", "LATEX", true),
                row("18.9", "\\$18.90", "LATEX", true),
                row("\\$32,348", "\\$32,\\!348", "LATEX", true),
                row("5.4", "5.4 \\text{ cents}", "LATEX", true),
                row("15 \\text{ cm}^2", "15\\mbox{ cm}^2", "LATEX", true),
                row("864", "864 \\mbox{ inches}^2", "LATEX", true),
                row("\\text{Evelyn}", "\\text{Evelyn}", "LATEX", true),
                row("Evelyn", "\\text{Evelyn}", "LATEX", true),
                row("\\text{Navin}", "\\text{Evelyn}", "LATEX", false),
                row("\\text{East}", "\\text{east}", "LATEX", true),
                row("\\text{(C)}", "\\text{(C)}", "LATEX", true),
                row("C", "\\text{(C)}", "LATEX", true),
                row("B", "\\text{(C)}", "LATEX", false),
                row("p-q", "p - q", "LATEX", true),
                row("-q+p", "p - q", "LATEX", true),
                row("q-p", "p - q", "LATEX", false),
                row("(x+1)^2", "x^2+2x+1", "LATEX", true),
                row("x^2+2x+2", "(x+1)^2", "LATEX", false),
                row("\\frac{x^9-1}{x-1}", "x^8 + x^7 + x^6 + x^5 + x^4 + x^3 + x^2 + x + 1", "LATEX", true),
                row("2(k+1)", "2k+2", "LATEX", true),
                row("2k", "2k+2", "LATEX", false),
                row("\\frac{\\cos x}{\\sin x}", "\\cot x", "LATEX", true),
                row("\\log_2 8", "3", "LATEX", true),
                row("e^{i\\pi}", "-1", "LATEX", true),
                row("2-7i", "-2 + 7i", "LATEX", false),
                row("-2+7i", "-2 + 7i", "LATEX", true),
                row("y=2x+3", "y = 2x + 3", "LATEX", true),
                row("y = 3 + 2x", "y = 2x + 3", "LATEX", true),
                row("y = -2x", "y=-2x", "LATEX", true),
                row("-5x+7y-11z-4=0", "5x - 7y + 11z + 4 = 0", "LATEX", true),
                row("5x - 7y + 11z - 4 = 0", "5x - 7y + 11z + 4 = 0", "LATEX", false),
                row("\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}", "LATEX", true),
                row("\\begin{pmatrix} -\\frac{1}{3} \\\\ \\frac{2}{3} \\\\ \\frac{5}{3} \\end{pmatrix}", "\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "LATEX", true),
                row("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}", "LATEX", false),
                row("204_5", "204_5", "LATEX", true),
                row("204", "204_5", "LATEX", true),
                row("204_{5}", "204_5", "LATEX", true),
                row("204_6", "204_5", "LATEX", false),
                row("54", "204_5", "LATEX", false),
                row("4.5e33", "4.5 \\times 10^{33}", "LATEX", true),
                row("4.6e33", "4.5e33", "LATEX", false),
                row("12\\pi", "12 \\pi", "LATEX", true),
                row("37.699", "12\\pi", "LATEX", false),
                row("\\pi", "\\pi", "LATEX", true),
                row("\\infty", "-\\infty", "LATEX", false),
                row("9, 5", "5 or 9", "LATEX", true),
                row("x=5 \\text{ or } x=9", "5 or 9", "LATEX", true),
                row("2, -2, \\frac{1}{2}, -\\frac{1}{2}", "2 or -2 or \\frac{1}{2} or -\\frac{1}{2}", "LATEX", true),
                row("2, -2, \\frac{1}{2}", "2 or -2 or \\frac{1}{2} or -\\frac{1}{2}", "LATEX", false),
                row("18 dollars", "18", "NUMERIC", true),
                row("0.05, 0.6", "0.05 and 0.6", "LATEX", true),
                row("", "5", "LATEX", false),
                row("\\frac{1}{0}", "1", "LATEX", false));
    }

    private static Arguments row(String answer, String reference, String kind, boolean expected) {
        return Arguments.of(answer, reference, AnswerKind.valueOf(kind), expected);
    }

    @ParameterizedTest(name = "[{index}] {0} vs {1} -> {3}")
    @MethodSource("pairs")
    void judgesPair(String answer, String reference, AnswerKind kind, boolean expected) {
        assertEquals(expected, verifier.equivalent(answer, reference, kind), () -> answer + " vs " + reference
                + " (normalized: " + AnswerNormalizer.normalize(answer) + " vs " + AnswerNormalizer.normalize(reference) + ")");
        // Through a full output too: the boxed answer is what gets scored.
        assertEquals(expected ? 1.0 : 0.0, verifier.score("So we get \\boxed{" + answer + "}.", reference, kind));
    }
}
