package dev.ccpo.demo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ccpo.config.Config;
import dev.ccpo.config.Roles;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Narrow tests with a stub ChatModel: the scoring, not the model. */
class EvaluateStubTest {

    /** Answers every conversation with \boxed{f(reference)} of the task whose question the prompt contains. */
    static class StubModel implements ChatModel {
        private final List<TaskRecord> tasks;
        private final UnaryOperator<String> answer;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger rows = new AtomicInteger();

        StubModel(List<TaskRecord> tasks, UnaryOperator<String> answer) {
            this.tasks = tasks;
            this.answer = answer;
        }

        @Override
        public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
            calls.incrementAndGet();
            rows.addAndGet(conversations.size());
            List<Completion> out = new ArrayList<>();
            for (List<ChatMessage> c : conversations) {
                String user = c.get(c.size() - 1).content();
                TaskRecord t = tasks.stream().filter(x -> user.contains(x.question())).findFirst()
                        .orElseThrow(() -> new AssertionError("prompt without a known question: " + user));
                String text = "The result is \\boxed{" + answer.apply(t.referenceAnswer()) + "}";
                out.add(new Completion(new int[] {1}, new int[] {2}, new float[] {0f}, text, Completion.FinishReason.END_OF_TURN));
            }
            return out;
        }

        @Override
        public int vocabSize() {
            return 99;
        }

        @Override
        public void close() {}
    }

    private static Config cfg(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("datasets", "synthetic");
        m.put("limit", "4");
        m.put("progress.interval.ms", "0");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Config.of(Evaluate.spec(), m);
    }

    @Test
    void rightAnswersScoreOneForEveryMethod() {
        Config c = cfg();
        List<TaskRecord> tasks = Evaluate.datasets(c).get(0).tasks();
        StubModel stub = new StubModel(tasks, ref -> ref);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EvalTable t = Evaluate.run(c, Map.of(Roles.REASONER, stub), new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(List.of("CoT (single agent)", "THINK_REASON", "VOTING (n=3)"), t.methods());
        assertEquals(List.of("synthetic"), t.datasets());
        for (String m : t.methods()) {
            assertEquals(1.0, t.accuracy(m, "synthetic"), m);
            assertEquals(1.0, t.average(m), m);
            assertEquals(4, t.cell(m, "synthetic").tasks());
            assertEquals(0, t.cell(m, "synthetic").errors());
        }
        // Rows per task: cot 1, think_reason 2 (thinker, reasoner), voting 3; calls are merged across tasks
        // (at most 1 + 2 + 1 calls per task: voters share a policy, so they share a call).
        assertEquals(4 * (1 + 2 + 3), stub.rows.get());
        assertTrue(stub.calls.get() <= 4 * (1 + 2 + 1), "calls: " + stub.calls.get());
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("THINK_REASON") && printed.contains("100.0"), printed);
        assertTrue(printed.contains("evaluate [") && printed.contains("tasks"), "progress line: " + printed);
    }

    @Test
    void wrongAnswersScoreZeroAndHalfRightGivesHalf() {
        Config c = cfg("methods", "cot");
        List<TaskRecord> tasks = Evaluate.datasets(c).get(0).tasks();
        EvalTable wrong = Evaluate.run(c, Map.of(Roles.REASONER, new StubModel(tasks, ref -> ref + "1")),
                new PrintStream(PrintStream.nullOutputStream()));
        assertEquals(0.0, wrong.accuracy("CoT (single agent)", "synthetic"));
        // Right on the first two tasks only.
        List<String> firstTwo = tasks.subList(0, 2).stream().map(TaskRecord::referenceAnswer).toList();
        StubModel half = new StubModel(tasks, ref -> firstTwo.contains(ref) ? ref : "-777");
        EvalTable t = Evaluate.run(c, Map.of(Roles.REASONER, half), new PrintStream(PrintStream.nullOutputStream()));
        assertEquals(0.5, t.accuracy("CoT (single agent)", "synthetic"), 1e-12);
    }

    @Test
    void modelErrorsAreCountedAsWrongAndReported() {
        Config c = cfg("methods", "cot");
        ChatModel broken = new StubModel(List.of(), ref -> ref) {
            @Override
            public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
                throw new IllegalStateException("prompt too long");
            }
        };
        EvalTable t = Evaluate.run(c, Map.of(Roles.REASONER, broken), new PrintStream(PrintStream.nullOutputStream()));
        assertEquals(0.0, t.accuracy("CoT (single agent)", "synthetic"));
        assertEquals(4, t.cell("CoT (single agent)", "synthetic").errors());
        assertTrue(t.format().contains("4 of 4 tasks failed"), t.format());
    }

    @Test
    void badConfigIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Evaluate.run(cfg("methods", "cot,debate"), Map.of(), new PrintStream(PrintStream.nullOutputStream())));
        assertTrue(e.getMessage().contains("debate") && e.getMessage().contains("methods"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluate.datasets(cfg("datasets", "nosuchset")));
        assertTrue(e.getMessage().contains("nosuchset") && e.getMessage().contains("datasets"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Evaluate.run(cfg("checkpoint", ""), new PrintStream(PrintStream.nullOutputStream())));
        assertTrue(e.getMessage().contains("checkpoint"), e.getMessage());
    }

    @Test
    void tableFormatsLikeAPaper() {
        EvalTable t = new EvalTable(List.of("A", "Bee"), List.of("d1", "d2"));
        t.put("A", "d1", new EvalTable.Cell(0.5, 10, 0));
        t.put("A", "d2", new EvalTable.Cell(0.25, 4, 0));
        t.put("Bee", "d1", new EvalTable.Cell(1.0, 10, 0));
        t.put("Bee", "d2", new EvalTable.Cell(0.0, 4, 1));
        assertEquals(0.375, t.average("A"), 1e-12);
        String[] lines = t.format().split("\n");
        assertEquals("Method |    d1 |   d2 | Avg.", lines[0]);
        assertEquals("A      |  50.0 | 25.0 | 37.5", lines[2]);
        assertEquals("Bee    | 100.0 |  0.0 | 50.0", lines[3]);
        assertTrue(lines[4].contains("d1=10") && lines[4].contains("d2=4"), lines[4]);
        assertTrue(lines[5].contains("1 of 4 tasks failed"), lines[5]);
        assertThrows(IllegalArgumentException.class, () -> t.put("A", "d3", new EvalTable.Cell(0, 0, 0)));
    }
}
