package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CausalLMTest {
    static CausalLM tiny(long seed) {
        return CausalLM.init(ModelConfig.tiny(CharTokenizer.VOCAB), new CharTokenizer(), seed, Device.cpu());
    }

    static List<List<ChatMessage>> convs() {
        return List.of(List.of(ChatMessage.user("What is 2+3?")),
                List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")),
                List.of(ChatMessage.user("A much longer question about numbers, 12*7?")));
    }

    @Test
    void kvCacheSamplingEqualsNoCacheSampling() {
        try (CausalLM m = tiny(1)) {
            SamplingParams sp = new SamplingParams(1.0f, 0.9f, 12, List.of(), 42L);
            List<int[]> prompts = new ArrayList<>();
            for (var c : convs()) prompts.add(m.tokenizer().applyChatTemplate(c));
            List<Completion> a = m.generate(prompts, sp, true);
            List<Completion> b = m.generate(prompts, sp, false);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(b.get(i).outputTokenIds(), a.get(i).outputTokenIds(), "row " + i);
                assertArrayEquals(b.get(i).logProbs(), a.get(i).logProbs(), 1e-4f, "row " + i);
                assertTrue(a.get(i).outputTokenIds().length <= 12);
            }
        }
    }

    @Test
    void rowTokensDoNotDependOnTheBatch() {
        try (CausalLM m = tiny(2)) {
            SamplingParams sp = new SamplingParams(1.0f, 1.0f, 8, List.of(), 7L);
            List<Completion> all = m.complete(convs(), sp);
            List<Completion> first = m.complete(convs().subList(0, 1), sp);
            assertArrayEquals(all.get(0).outputTokenIds(), first.get(0).outputTokenIds());
            List<Completion> again = m.complete(convs(), sp);
            assertArrayEquals(all.get(2).outputTokenIds(), again.get(2).outputTokenIds());
        }
    }

    @Test
    void aRowWithItsOwnSeedSamplesTheSameWhateverItsBatchAndPlace() {
        try (CausalLM m = tiny(2)) {
            SamplingParams sp = new SamplingParams(1.0f, 1.0f, 8, List.of(), 7L);
            List<List<ChatMessage>> c = convs();
            List<Completion> batch = m.complete(c, sp, new long[]{11L, 22L, 33L});
            List<Completion> reordered = m.complete(List.of(c.get(2), c.get(1), c.get(0)), sp.withSeed(8L), new long[]{33L, 5L, 11L});
            List<Completion> alone = m.complete(c.subList(2, 3), sp, new long[]{33L});
            assertArrayEquals(batch.get(0).outputTokenIds(), reordered.get(2).outputTokenIds(), "row 0 moved to place 2");
            assertArrayEquals(batch.get(2).outputTokenIds(), reordered.get(0).outputTokenIds(), "row 2 moved to place 0");
            assertArrayEquals(batch.get(2).outputTokenIds(), alone.get(0).outputTokenIds(), "row 2 alone");
            // Without row seeds the rows draw from the call's seed and their index, as before.
            List<Completion> seeded = m.complete(c, sp, Sampler.rowSeeds(7L, 3));
            List<Completion> plain = m.complete(c, sp);
            for (int r = 0; r < 3; r++) assertArrayEquals(plain.get(r).outputTokenIds(), seeded.get(r).outputTokenIds(), "row " + r);
        }
    }

    @Test
    void sampledLogProbsEqualTeacherForcedLogProbs() {
        try (CausalLM m = tiny(3); NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            for (float t : new float[] {0.7f, 1.0f}) {
                SamplingParams sp = new SamplingParams(t, 0.8f, 10, List.of(), 5L);
                List<Completion> cs = m.complete(convs(), sp);
                List<int[]> prompts = new ArrayList<>();
                List<int[]> outs = new ArrayList<>();
                for (Completion c : cs) {
                    prompts.add(c.promptTokenIds());
                    outs.add(c.outputTokenIds());
                }
                float[][] lp = rows(m.completionLogProbs(nd, prompts, outs, t), cs.size());
                for (int r = 0; r < cs.size(); r++) {
                    float[] behaviour = cs.get(r).logProbs();
                    for (int j = 0; j < behaviour.length; j++) {
                        assertEquals(behaviour[j], lp[r][j], 1e-4, "row " + r + " token " + j);
                    }
                }
            }
        }
    }

    static float[][] rows(NDArray a, int b) {
        float[] flat = a.toFloatArray();
        int t = flat.length / b;
        float[][] out = new float[b][t];
        for (int r = 0; r < b; r++) System.arraycopy(flat, r * t, out[r], 0, t);
        return out;
    }

    @Test
    void paddedPositionsAreZeroAndGreedyLogProbsUseTemperatureOne() {
        try (CausalLM m = tiny(4); NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            List<Completion> cs = m.complete(convs(), SamplingParams.greedy(6));
            NDArray lp = m.completionLogProbs(nd, List.of(cs.get(0).promptTokenIds(), cs.get(1).promptTokenIds()),
                    List.of(cs.get(0).outputTokenIds(), new int[] {5, 6}), 0f);
            assertArrayEquals(new long[] {2, 6}, lp.getShape().getShape());
            float[][] r = rows(lp, 2);
            assertEquals(0f, r[1][2], 0f);
            assertEquals(0f, r[1][5], 0f);
            assertTrue(r[1][1] < 0f);
            for (int j = 0; j < 6; j++) assertEquals(cs.get(0).logProbs()[j], r[0][j], 1e-4);
        }
    }

    @Test
    void gradientStepRaisesTheLogProb() {
        try (CausalLM m = tiny(5)) {
            List<int[]> prompts = List.of(m.tokenizer().encode("2+2="));
            List<int[]> outs = List.of(m.tokenizer().encode("4"));
            float before = score(m, prompts, outs);
            m.setTrainable(true);
            try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray lp = m.completionLogProbs(nd, prompts, outs, 1f);
                    gc.backward(lp.sum().neg());
                }
                // plain SGD step on every parameter, in place, outside the collector
                for (NDArray p : m.parameters().values()) {
                    NDArray g = p.getGradient();
                    p.subi(g.mul(0.01f));
                }
            }
            m.setTrainable(false);
            float after = score(m, prompts, outs);
            assertTrue(after > before + 1e-4, "log-prob should rise: before " + before + " after " + after);
        }
    }

    static float score(CausalLM m, List<int[]> prompts, List<int[]> outs) {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            return m.completionLogProbs(nd, prompts, outs, 1f).sum().getFloat();
        }
    }

    @Test
    void saveOpenRoundTripGivesIdenticalLogProbs(@TempDir Path dir) {
        List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4});
        List<int[]> outs = List.of(new int[] {5, 6}, new int[] {7, 8, 9});
        try (CausalLM m = tiny(6)) {
            m.save(dir);
            float[] a = lp(m, prompts, outs);
            try (CausalLM l = CausalLM.open(dir, Device.cpu())) {
                assertEquals(m.config(), l.config());
                assertArrayEquals(a, lp(l, prompts, outs), 0f);
            }
        }
    }

    static float[] lp(CausalLM m, List<int[]> prompts, List<int[]> outs) {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            return m.completionLogProbs(nd, prompts, outs, 1f).toFloatArray();
        }
    }

    @Test
    void exportImportRoundTrip() {
        List<int[]> prompts = List.of(new int[] {1, 2, 3});
        List<int[]> outs = List.of(new int[] {5, 6});
        try (CausalLM a = tiny(7); CausalLM b = tiny(8)) {
            NDArray live = b.parameters().get("model.norm.weight");
            assertNotEquals(lp(a, prompts, outs)[0], lp(b, prompts, outs)[0]);
            b.importWeights(a.exportWeights());
            assertArrayEquals(lp(a, prompts, outs), lp(b, prompts, outs), 0f);
            assertSame(live, b.parameters().get("model.norm.weight"), "parameter arrays stay live");
        }
    }

    @Test
    void weightsOfAnotherShapeAreRefusedAndTheModelKeepsItsOwn() {
        List<int[]> prompts = List.of(new int[] {1, 2, 3});
        List<int[]> outs = List.of(new int[] {5, 6});
        ModelConfig wider = new ModelConfig("qwen2", CharTokenizer.VOCAB, 96, 2, 4, 2, 128, 10000.0, 1e-6, true, true, 512);
        try (CausalLM model = tiny(7); CausalLM other = CausalLM.init(wider, new CharTokenizer(), 8, Device.cpu())) {
            float[] before = lp(model, prompts, outs);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.importWeights(other.exportWeights()));
            assertTrue(e.getMessage().contains("imported weights: tensor ") && e.getMessage().contains(", expected ["), e.getMessage());
            assertArrayEquals(before, lp(model, prompts, outs), 0f, "nothing was copied before the check failed");
        }
    }

    @Test
    void weightsWithANonFiniteValueAreRefusedAndTheModelKeepsItsOwn() {
        List<int[]> prompts = List.of(new int[] {1, 2, 3});
        List<int[]> outs = List.of(new int[] {5, 6});
        try (CausalLM model = tiny(7); CausalLM other = tiny(8)) {
            float[] before = lp(model, prompts, outs);
            NDArray p = other.parameters().values().iterator().next();
            float[] v = p.toFloatArray();
            v[v.length / 2] = Float.NaN;
            p.set(v);
            assertEquals(other.parameters().keySet().iterator().next(), other.firstNonFiniteTensor());
            assertNull(model.firstNonFiniteTensor());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.importWeights(other.exportWeights()));
            assertTrue(e.getMessage().contains("holds a non-finite value (NaN) at index " + v.length / 2), e.getMessage());
            assertArrayEquals(before, lp(model, prompts, outs), 0f, "nothing was copied before the check failed");
        }
    }

    @Test
    void aPromptOverTheLimitIsRefusedBeforeAnyTensorAndAnOverlongCallTimesOut() {
        try (CausalLM m = tiny(3)) {
            int[] huge = new int[300_000];  // ~40 GB of attention scores if it reached the model
            java.util.Arrays.fill(huge, 5);
            SamplingParams sp = new SamplingParams(1.0f, 1.0f, 8, List.of(), 1L).withLimits(512, 0);
            dev.ccpo.policy.PromptTooLongException e = assertThrows(dev.ccpo.policy.PromptTooLongException.class,
                    () -> m.generate(List.of(new int[] {1, 2}, huge), sp));
            assertTrue(e.getMessage().contains("prompt of 300000 tokens exceeds the limit of 512 (max.prompt.tokens)"), e.getMessage());
            assertEquals(1, m.generate(List.of(new int[] {1, 2}), sp).size(), "a prompt within the limit still samples");
            SamplingParams slow = new SamplingParams(1.0f, 1.0f, 400, List.of(), 1L).withLimits(512, 1);
            List<int[]> rows = List.of(new int[] {1, 2, 3}, new int[] {4, 5, 6}, new int[] {7, 8, 9}, new int[] {3, 3, 3});
            assertThrows(dev.ccpo.policy.GenerationTimeoutException.class, () -> m.generate(rows, slow));
        }
    }
}
