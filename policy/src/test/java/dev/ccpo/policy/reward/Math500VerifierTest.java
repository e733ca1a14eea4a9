package dev.ccpo.policy.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ccpo.policy.data.DataDirectory;

/** The verifier against all 500 MATH500 rows: references match their solutions, different answers do not match. */
class Math500VerifierTest {

    private static final Logger log = LoggerFactory.getLogger(Math500VerifierTest.class);

    /**
     * Different strings in MATH500 that are the same value (checked by hand): units, degrees, dollars,
     * "x =", spacing, shorthand. Any two strings of one group may match; every other pair must not.
     */
    private static final List<Set<String>> SAME_VALUE = List.of(
            Set.of("10080", "10,\\!080"),
            Set.of("90", "90^\\circ"),
            Set.of("120", "120^\\circ"),
            Set.of("30", "30^\\circ"),
            Set.of("36", "36^\\circ", "\\$36"),
            Set.of("5", "x=5"),
            Set.of("15", "15\\mbox{ cm}^2"),
            Set.of("\\frac14", "\\frac{1}{4}"),
            Set.of("2\\sqrt{5}", "2 \\sqrt{5}"));

    private static Verifier verifier;
    private static List<String> answers;
    private static List<String> solutions;

    @BeforeAll
    static void load() throws IOException {
        Path file = DataDirectory.require().resolve("math500/test.jsonl");
        ObjectMapper json = new ObjectMapper();
        answers = new ArrayList<>();
        solutions = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            JsonNode row = json.readTree(line);
            answers.add(row.get("answer").asText());
            solutions.add(row.get("solution").asText());
        }
        verifier = new Verifier();
    }

    @AfterAll
    static void stop() { verifier.close(); }

    @Test
    void everyReferenceMatchesTheLastBoxOfItsSolution() {
        assertEquals(500, answers.size());
        long t0 = System.nanoTime();
        List<String> misses = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            if (verifier.score(solutions.get(i), answers.get(i), AnswerKind.LATEX) != 1.0) {
                misses.add(i + ": " + answers.get(i) + " vs box " + AnswerExtractor.lastBoxed(solutions.get(i)).orElse("<none>"));
            }
        }
        log.info("MATH500 references vs solutions: {}/500 match in {} ms", 500 - misses.size(), (System.nanoTime() - t0) / 1_000_000);
        assertTrue(misses.isEmpty(), () -> misses.size() + " misses:\n" + String.join("\n", misses));
    }

    @Test
    void differentAnswersNeverMatch() {
        long t0 = System.nanoTime();
        Random random = new Random(20260401L);
        List<String> falseMatches = new ArrayList<>();
        int pairs = 0;
        Set<String> seen = new LinkedHashSet<>();
        List<String> normalized = answers.stream().map(AnswerNormalizer::normalize).toList();
        for (int i = 0; i < answers.size(); i++) {
            String a = answers.get(i);
            // Partners: all rows whose answer looks alike (same normalized form or a close number), plus 5 at random.
            Set<Integer> partners = new LinkedHashSet<>();
            for (int j = 0; j < answers.size(); j++) {
                if (j != i && !answers.get(j).equals(a) && alike(normalized.get(i), normalized.get(j))) partners.add(j);
            }
            int random5 = 0;
            while (random5 < 5) {
                int j = random.nextInt(answers.size());
                if (!answers.get(j).equals(a) && partners.add(j)) random5++;
            }
            for (int j : partners) {
                String b = answers.get(j);
                if (!seen.add(a + "\u0000" + b)) continue;
                pairs++;
                if (verifier.equivalent(a, b, AnswerKind.LATEX) && !sameValue(a, b)) {
                    falseMatches.add(a + "  ==  " + b);
                }
            }
        }
        log.info("MATH500 different answers: {} pairs, {} judged equal, in {} ms", pairs, falseMatches.size(),
                (System.nanoTime() - t0) / 1_000_000);
        assertTrue(pairs > 2000, "too few pairs: " + pairs);
        assertTrue(falseMatches.isEmpty(), () -> "judged equal:\n" + String.join("\n", falseMatches));
    }

    @Test
    void sameValuePairsDoMatch() {
        for (Set<String> group : SAME_VALUE) {
            for (String a : group) {
                for (String b : group) assertTrue(verifier.equivalent(a, b, AnswerKind.LATEX), a + " vs " + b);
            }
        }
    }

    private static boolean sameValue(String a, String b) {
        return SAME_VALUE.stream().anyMatch(g -> g.contains(a) && g.contains(b));
    }

    /** Same normalized string, or numbers within 1% of each other: the pairs most likely to be confused. */
    private static boolean alike(String na, String nb) {
        if (na.equals(nb)) return true;
        Double x = asDouble(na);
        Double y = asDouble(nb);
        return x != null && y != null && Math.abs(x - y) <= 0.01 * Math.max(Math.abs(x), Math.abs(y));
    }

    private static Double asDouble(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
