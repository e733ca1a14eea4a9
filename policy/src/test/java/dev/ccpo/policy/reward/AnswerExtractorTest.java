package dev.ccpo.policy.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnswerExtractorTest {

    @Test
    void lastBoxWithNestedBraces() {
        assertEquals(Optional.of("\\frac{1}{2}"), AnswerExtractor.lastBoxed("first \\boxed{3}, then \\boxed{\\frac{1}{2}}."));
        assertEquals(Optional.of("\\{1,2\\}"), AnswerExtractor.lastBoxed("\\boxed{\\{1,2\\}}"));
        assertEquals(Optional.of("7"), AnswerExtractor.lastBoxed("so $\\fbox{7}$"));
        assertEquals(Optional.of("5"), AnswerExtractor.lastBoxed("$\\boxed 5$"));
        // A box cut off by the token limit falls back to the previous complete one.
        assertEquals(Optional.of("4"), AnswerExtractor.lastBoxed("\\boxed{4} and then \\boxed{\\frac{1}{"));
        assertEquals(Optional.empty(), AnswerExtractor.lastBoxed("no box here"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "The answer is 42.|NUMERIC|42",
            "So the final answer is $\\frac{3}{4}$. Done.|LATEX|\\frac{3}{4}",
            "Answer: 3.5|NUMERIC|3.5",
            "We get 12 apples, then 1,200 pears in total|NUMERIC|1200",
            "She pays -3 dollars|NUMERIC|-3",
            "I think it is \\boxed{17} but the answer is 18|LATEX|17",
            "no number at all|NUMERIC|",
            "the result is 12|LATEX|",
    })
    void extractsMathAnswers(String output, AnswerKind kind, String expected) {
        assertEquals(Optional.ofNullable(expected), AnswerExtractor.extract(output, kind));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\\boxed{B}|B",
            "\\boxed{(C)}|C",
            "\\boxed{\\text{D}}|D",
            "\\boxed{A. Guo Shu is from Zhenyuan}|A",
            "Thus the correct answer is (C).|C",
            "Answer: b is wrong, so Answer: D|D",
            "option B is the best|B",
            "(A)|A",
            "The answer is a tricky one|",
    })
    void extractsChoices(String output, String expected) {
        assertEquals(Optional.ofNullable(expected), AnswerExtractor.extract(output, AnswerKind.CHOICE));
    }

    @Test
    void choiceScoring() {
        try (Verifier v = new Verifier()) {
            assertEquals(1.0, v.score("The answer is (C).", "C", AnswerKind.CHOICE));
            assertEquals(0.0, v.score("The answer is (C).", "B", AnswerKind.CHOICE));
            assertEquals(1.0, v.score("\\boxed{Guo Shu is not from Anxi}", "D", AnswerKind.CHOICE,
                    List.of("Guo Shu is from Zhenyuan", "Guo Shu is not from Zhenyuan", "Guo Shu is from Anxi", "Guo Shu is not from Anxi")));
            assertEquals(0.0, v.score("", "D", AnswerKind.CHOICE));
            assertEquals(0.0, v.score(null, "D", AnswerKind.CHOICE));
        }
    }

    @Test
    void neverThrows() {
        try (Verifier v = new Verifier()) {
            assertEquals(0.0, v.score("\\boxed{\\frac{1}{0}}", "1", AnswerKind.LATEX));
            assertEquals(0.0, v.score("\\boxed{((((}", "1", AnswerKind.LATEX));
            assertEquals(0.0, v.score("\\boxed{1}", null, AnswerKind.LATEX));
            assertEquals(0.0, v.score("\\boxed{x^{x^{x^{x^{x^{x}}}}}}", "\\sin(\\cos(\\tan x))", AnswerKind.LATEX));
        }
    }
}
