package dev.ccpo.demo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.model.CausalLM;
import dev.ccpo.policy.model.CharTokenizer;
import dev.ccpo.policy.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchingChatModelTest {

    /** Echoes the user message; slow, so concurrent callers queue up; refuses "bad". */
    static final class Echo implements ChatModel {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger concurrent = new AtomicInteger();
        volatile int maxConcurrent;

        @Override
        public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
            maxConcurrent = Math.max(maxConcurrent, concurrent.incrementAndGet());
            try {
                calls.incrementAndGet();
                Thread.sleep(30);
                List<Completion> out = new ArrayList<>();
                for (List<ChatMessage> c : conversations) {
                    String text = c.get(0).content();
                    if (text.equals("bad")) {
                        throw new IllegalArgumentException("prompt too long");
                    }
                    out.add(new Completion(new int[] {1}, new int[] {1}, new float[] {0}, text, Completion.FinishReason.END_OF_TURN));
                }
                return out;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                concurrent.decrementAndGet();
            }
        }

        @Override
        public int vocabSize() {
            return 99;
        }

        @Override
        public void close() {}
    }

    private static List<List<ChatMessage>> convs(String... users) {
        List<List<ChatMessage>> out = new ArrayList<>();
        for (String u : users) {
            out.add(List.of(ChatMessage.user(u)));
        }
        return out;
    }

    @Test
    void concurrentGreedyCallsAreMergedAndAnswersGoBackToTheirCaller() throws Exception {
        Echo echo = new Echo();
        BatchingChatModel m = new BatchingChatModel(echo);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<Completion>>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String a = "q" + i + "a";
                String b = "q" + i + "b";
                fs.add(pool.submit(() -> m.complete(convs(a, b), SamplingParams.greedy(4))));
            }
            for (int i = 0; i < 32; i++) {
                List<Completion> r = fs.get(i).get();
                assertEquals(List.of("q" + i + "a", "q" + i + "b"), r.stream().map(Completion::text).toList());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, echo.maxConcurrent, "the wrapped model is never called concurrently");
        assertTrue(echo.calls.get() < 32, "calls were merged: " + echo.calls.get() + " calls for 32 requests");
        assertEquals(64.0 / echo.calls.get(), m.meanBatch(), 1e-9);
    }

    @Test
    void aFailingRequestDoesNotFailItsBatchNeighbours() throws Exception {
        Echo echo = new Echo();
        BatchingChatModel m = new BatchingChatModel(echo);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<List<Completion>> slow = pool.submit(() -> m.complete(convs("first"), SamplingParams.greedy(4)));
            Thread.sleep(5); // "first" occupies the model; the next three queue up and are merged
            Future<List<Completion>> good = pool.submit(() -> m.complete(convs("good"), SamplingParams.greedy(4)));
            Future<List<Completion>> bad = pool.submit(() -> m.complete(convs("bad"), SamplingParams.greedy(4)));
            Future<List<Completion>> good2 = pool.submit(() -> m.complete(convs("good2"), SamplingParams.greedy(4)));
            assertEquals("first", slow.get().get(0).text());
            assertEquals("good", good.get().get(0).text());
            assertEquals("good2", good2.get().get(0).text());
            Exception e = assertThrows(Exception.class, bad::get);
            assertTrue(e.getCause() instanceof IllegalArgumentException, e.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void realModelGreedyOutputDoesNotDependOnBatchNeighbours() {
        // Merging relies on this: a row's greedy tokens are the same alone or padded into a batch.
        try (CausalLM lm = CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), 3, Device.cpu())) {
            SamplingParams p = SamplingParams.greedy(12);
            List<List<ChatMessage>> both = convs("Compute 3 + 4.", "A much longer question: what is (12 * 3) - 7 + 1?");
            List<Completion> merged = lm.complete(both, p);
            for (int i = 0; i < both.size(); i++) {
                Completion alone = lm.complete(List.of(both.get(i)), p).get(0);
                assertEquals(List.of(alone.text()), List.of(merged.get(i).text()), "row " + i);
            }
        }
    }
}
