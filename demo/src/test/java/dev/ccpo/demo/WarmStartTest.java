package dev.ccpo.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.team.PromptLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarmStartTest {
    static final DemoTasks TASKS = new DemoTasks(7, 2, 9, 0);

    @Test
    void examplesFollowTheTeamProtocol(@TempDir Path dir) {
        PromptLibrary prompts = new PromptLibrary(DemoTasks.writePrompts(dir));
        CharTokenizer tok = new CharTokenizer();
        ArithmeticTask task = TASKS.training(3);
        List<WarmStart.Example> ex = WarmStart.examples(TASKS, task, prompts, tok);
        assertEquals(3, ex.size());
        assertEquals(task.plan(), tok.decode(ex.get(0).completion()));
        assertEquals("\\boxed{" + task.answer() + "}", tok.decode(ex.get(1).completion()));
        assertTrue(tok.decode(ex.get(1).prompt()).contains(task.plan()), "the Reasoner sees the plan");
        assertTrue(!tok.decode(ex.get(2).prompt()).contains("Step 1"), "the solo Reasoner does not");
        assertEquals(CharTokenizer.IM_END, ex.get(0).completion()[ex.get(0).completion().length - 1]);
    }

    @Test
    void theReasonerCanBeLeftTheLastStep(@TempDir Path dir) {
        PromptLibrary prompts = new PromptLibrary(DemoTasks.writePrompts(dir));
        CharTokenizer tok = new CharTokenizer();
        DemoTasks split = new DemoTasks(7, 2, 9, 1);
        ArithmeticTask task = split.training(3);
        List<WarmStart.Example> ex = WarmStart.examples(split, task, prompts, tok);
        String plan = tok.decode(ex.get(0).completion());
        assertEquals(1, plan.lines().count(), plan);
        assertTrue(plan.endsWith("= " + split.planResult(task)), plan);
        String reasoner = tok.decode(ex.get(1).completion());
        assertTrue(reasoner.startsWith("Step 2: " + split.planResult(task) + " "), "the Reasoner works from the plan's result: " + reasoner);
        assertTrue(reasoner.endsWith("\\boxed{" + task.answer() + "}"), reasoner);
        assertEquals("\\boxed{" + task.answer() + "}", tok.decode(ex.get(2).completion()), "alone, it answers in one shot");
        assertTrue(!split.key().equals(TASKS.key()), "another split is another warm-start cache");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new DemoTasks(7, 2, 9, 2));
        assertTrue(e.getMessage().contains("task.reasoner.steps must be in 0..1"), e.getMessage());
    }

    @Test
    void aVoterWritesEveryStepThenTheBoxedAnswerWithinTheTurnLimit(@TempDir Path dir) {
        PromptLibrary prompts = new PromptLibrary(DemoTasks.writePrompts(dir));
        CharTokenizer tok = new CharTokenizer();
        ArithmeticTask task = TASKS.training(3);
        List<WarmStart.Example> ex = WarmStart.voterExamples(task, prompts, tok);
        assertEquals(1, ex.size());
        String answer = tok.decode(ex.get(0).completion());
        List<String> lines = answer.lines().toList();
        assertEquals(List.of(task.steps().get(0).text(), task.steps().get(1).text(), "\\boxed{" + task.answer() + "}"), lines);
        // the demo's default max.new.tokens is 40, the end-of-turn token included; the longest 2-step answer:
        // "9 * 9 = 81\n81 * 9 = 729\n\\boxed{729}" is 35 characters
        assertTrue(ex.get(0).completion().length <= 40, answer);
        assertTrue(tok.decode(ex.get(0).prompt()).contains(task.task().question()), "the voter sees the question");
        WarmStart.Settings voter = new WarmStart.Settings(32, 1, 40, 24, 3e-3, 11, TASKS, WarmStart.Protocol.VOTER);
        assertTrue(!voter.key().equals(new WarmStart.Settings(32, 1, 40, 24, 3e-3, 11, TASKS).key()), "a voter's warm start has its own cache");
    }

    @Test
    void votingStrengthsAreSharesOfTheWarmStartOnePerVoter() {
        assertEquals(List.of(1.0, 0.5, 0.25), DemoSettings.votingStrengths("1, 0.5,0.25"));
        for (String bad : List.of("1", "1,0", "1,1.5", "1,x", "")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DemoSettings.votingStrengths(bad));
            assertTrue(e.getMessage().startsWith("voting.strengths"), e.getMessage());
        }
    }

    @Test
    void trainingLowersTheLossAndIsCached(@TempDir Path dir) throws Exception {
        PromptLibrary prompts = new PromptLibrary(DemoTasks.writePrompts(dir.resolve("prompts")));
        WarmStart.Settings s = new WarmStart.Settings(32, 1, 40, 24, 3e-3, 11, TASKS);
        List<WarmStart.Example> probe = WarmStart.examples(TASKS, TASKS.training(999_999), prompts, new CharTokenizer());
        double before;
        try (CausalLM fresh = CausalLM.init(s.modelConfig(), new CharTokenizer(), s.seed(), Device.cpu())) {
            before = nll(fresh, probe);
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        Path ckpt = WarmStart.ensure(dir, s, prompts, new PrintStream(log, true));
        System.out.printf("warm start: %d steps of %d examples in %.1f s%n", s.steps(), s.batchSize(), (System.nanoTime() - t0) / 1e9);
        double after;
        try (CausalLM trained = CausalLM.open(ckpt, Device.cpu())) {
            after = nll(trained, probe);
        }
        assertTrue(after < before - 0.5, "held-out loss should drop: before " + before + ", after " + after);
        assertTrue(log.toString().contains("warm start ["), log.toString());
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        assertEquals(ckpt, WarmStart.ensure(dir, s, prompts, new PrintStream(second, true)));
        assertTrue(second.toString().contains("using the cached model"), second.toString());
        assertTrue(Files.list(dir).noneMatch(p -> p.getFileName().toString().startsWith(".warm-start-")), "no temp folder left");
    }

    /** Mean negative log-likelihood per completion token. */
    private static double nll(CausalLM model, List<WarmStart.Example> ex) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lp = model.completionLogProbs(m, ex.stream().map(WarmStart.Example::prompt).toList(),
                    ex.stream().map(WarmStart.Example::completion).toList(), 1f);
            int tokens = ex.stream().mapToInt(e -> e.completion().length).sum();
            return -lp.sum().getFloat() / tokens;
        }
    }
}
