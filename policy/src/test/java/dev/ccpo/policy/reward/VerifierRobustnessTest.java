package dev.ccpo.policy.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

class VerifierRobustnessTest {

    @Test
    void aTimeoutScoresZeroAndTheVerifierKeepsWorking() {
        try (Verifier v = new Verifier(Duration.ofMillis(50), Verifier.DEFAULT_REL_TOLERANCE)) {
            v.equivalent("x", "x", AnswerKind.LATEX); // start Symja outside the measured call
            long t0 = System.nanoTime();
            assertEquals(0.0, v.score("\\boxed{(x+y+1)^{300}}", "(x+y+2)^{300}", AnswerKind.LATEX));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 3_000, "bounded by the time limit");
            assertEquals(1.0, v.score("\\boxed{(x+1)^2}", "x^2+2x+1", AnswerKind.LATEX));
        }
    }

    @Test
    void oneVerifierServesManyThreads() throws Exception {
        String[][] cases = {{"\\frac{\\sqrt3}{3}", "\\frac{1}{\\sqrt{3}}", "1"}, {"2k+2", "2(k+1)", "1"},
                {"3\\sqrt{13}", "\\sqrt{113}", "0"}, {"(1,2)", "(2,1)", "0"}};
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Verifier v = new Verifier()) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String[] c = cases[i % cases.length];
                results.add(pool.submit(() -> v.score("\\boxed{" + c[0] + "}", c[1], AnswerKind.LATEX) == Double.parseDouble(c[2])));
            }
            for (Future<Boolean> r : results) assertTrue(r.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
