package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The decoder against an independent implementation on real pretrained weights: Karpathy's stories260K (llama2.c
 * format, GQA 8/4 heads) converted to the HF layout, compared with the logits and greedy ids llama2.c's run.c computed
 * (src/test/resources/stories260K/reference.json). Full forward, KV-cache decoding, a save and re-open, and the
 * converted tokenizer.
 */
class Stories260KParityTest {
    static final double TOLERANCE = 1e-4;
    static final Map<String, String> SHA256 = Map.of(
            "stories260K.bin", "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696",
            "tok512.bin", "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312",
            "reference.json", "0dd1e7aefbf189bf8a41acb141218533f12240e25d567ed679ad76dccaadd126");

    @TempDir
    static Path tmp;
    static Path fixture;
    static Path converted;
    static List<Case> cases;

    record Case(int[] prompt, float[][] logits, int[] greedy) {}

    @BeforeAll
    static void convert() throws Exception {
        fixture = Path.of(Stories260KParityTest.class.getResource("/stories260K/reference.json").toURI()).getParent();
        for (Map.Entry<String, String> e : SHA256.entrySet()) {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(fixture.resolve(e.getKey())));
            assertEquals(e.getValue(), HexFormat.of().formatHex(d), "sha256 of fixture file " + e.getKey());
        }
        converted = tmp.resolve("stories260K");
        Llama2c.convert(fixture.resolve("stories260K.bin"), fixture.resolve("tok512.bin"), converted);
        cases = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(fixture.resolve("reference.json").toFile()).get("cases")) {
            int[] prompt = ints(c.get("prompt"));
            float[][] logits = new float[prompt.length][];
            for (int i = 0; i < prompt.length; i++) {
                JsonNode row = c.get("logits").get(i);
                logits[i] = new float[row.size()];
                for (int v = 0; v < row.size(); v++) logits[i][v] = (float) row.get(v).asDouble();
            }
            cases.add(new Case(prompt, logits, ints(c.get("greedy"))));
        }
        assertEquals(3, cases.size());
    }

    @Test
    void configFromTheHeader() {
        ModelConfig c = ModelConfig.fromHfJson(converted.resolve("config.json"));
        assertEquals(new ModelConfig("llama", 512, 64, 5, 8, 4, 172, 10000.0, 1e-5, true, false, 512), c);
    }

    @Test
    void fullForwardLogitsMatchRunC() {
        try (CausalLM m = CausalLM.open(converted, Device.cpu())) {
            for (int i = 0; i < cases.size(); i++) {
                double diff = maxDiff(fullForward(m, cases.get(i).prompt()), cases.get(i).logits());
                System.out.printf("stories260K case %d (%d tokens): full forward max |logit diff| = %.3g%n", i + 1,
                        cases.get(i).prompt().length, diff);
                assertTrue(diff <= TOLERANCE, "case " + (i + 1) + ": max |logit diff| " + diff + " > " + TOLERANCE);
            }
        }
    }

    @Test
    void kvCacheLogitsMatchRunC() {
        try (CausalLM m = CausalLM.open(converted, Device.cpu())) {
            for (int i = 0; i < cases.size(); i++) {
                double diff = maxDiff(oneTokenAtATime(m, cases.get(i).prompt()), cases.get(i).logits());
                System.out.printf("stories260K case %d: KV cache, one token per step, max |logit diff| = %.3g%n", i + 1, diff);
                assertTrue(diff <= TOLERANCE, "case " + (i + 1) + ": max |logit diff| " + diff + " > " + TOLERANCE);
            }
        }
    }

    @Test
    void greedyIdsMatchRunCWithAndWithoutTheCache() {
        try (CausalLM m = CausalLM.open(converted, Device.cpu())) {
            assertGreedy(m, "KV cache", true);
            assertGreedy(m, "no cache", false);
        }
    }

    @Test
    void sameAfterSaveAndReopen() {
        Path saved = tmp.resolve("saved");
        try (CausalLM m = CausalLM.open(converted, Device.cpu())) {
            m.save(saved);
        }
        try (CausalLM m = CausalLM.open(saved, Device.cpu())) {
            for (int i = 0; i < cases.size(); i++) {
                double diff = maxDiff(fullForward(m, cases.get(i).prompt()), cases.get(i).logits());
                assertTrue(diff <= TOLERANCE, "re-opened, case " + (i + 1) + ": max |logit diff| " + diff);
            }
            assertGreedy(m, "re-opened", true);
            assertArrayEquals(new int[] {403, 407, 261, 378}, m.tokenizer().encode("Once upon a time"));
        }
    }

    /** The permutation matters: without it (Meta row order under HF rotate_half) the logits are far off. */
    @Test
    void withoutTheQkPermutationTheLogitsAreFarOff() {
        try (CausalLM m = CausalLM.open(converted, Device.cpu())) {
            Map<String, SafeTensors.FloatTensor> meta = new java.util.LinkedHashMap<>();
            SafeTensors.read(m.exportWeights(), (name, t) -> {
                boolean q = name.endsWith("q_proj.weight");
                if (q || name.endsWith("k_proj.weight")) {
                    t = new SafeTensors.FloatTensor(t.shape(), toMeta(t.data(), q ? 8 : 4, 8, 64));
                }
                meta.put(name, t);
            });
            m.importWeights(SafeTensors.toBytes(meta));
            double diff = maxDiff(fullForward(m, cases.get(2).prompt()), cases.get(2).logits());
            assertTrue(diff > 1, "unpermuted Q/K should be detected, max diff " + diff);
        }
    }

    @Test
    void tokenizerEncodesAndDecodesLikeRunC() {
        try (CausalLM m = CausalLM.open(converted, Device.cpu())) {
            TextTokenizer t = m.tokenizer();
            assertEquals(512, t.vocabSize());
            int[] once = t.encode("Once upon a time");
            assertArrayEquals(Arrays.copyOfRange(cases.get(1).prompt(), 1, 5), once);
            assertArrayEquals(Arrays.copyOfRange(cases.get(2).prompt(), 1, 5), once);
            int[] tim = t.encode("Once upon a time, there was a little boy named Tim. Tim had a big red ball. "
                    + "He liked to play with it in the park with his friend");
            assertArrayEquals(Arrays.copyOfRange(cases.get(2).prompt(), 1, cases.get(2).prompt().length), tim);
            assertArrayEquals(new int[] {2}, t.endOfTurnIds());
            String story = t.decode(concat(cases.get(0).prompt(), cases.get(0).greedy()));
            assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One", story);
            // byte fallback: characters outside the 512 pieces go through <0xXX> and come back intact
            String odd = "naïve café 🙂";
            assertEquals(odd, t.decode(t.encode(odd)));
        }
    }

    @Test
    void notALlama2cCheckpointIsRefusedWithTheReason() throws Exception {
        Path junk = tmp.resolve("junk.bin");
        Files.write(junk, "this is a text file, not weights".getBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Llama2c.convert(junk, null, tmp.resolve("x")));
        assertTrue(e.getMessage().contains("not a llama2.c checkpoint") && e.getMessage().contains("header"), e.getMessage());

        Path truncated = tmp.resolve("truncated.bin");
        byte[] all = Files.readAllBytes(fixture.resolve("stories260K.bin"));
        Files.write(truncated, Arrays.copyOf(all, all.length - 4));
        e = assertThrows(IllegalArgumentException.class, () -> Llama2c.convert(truncated, null, tmp.resolve("y")));
        assertTrue(e.getMessage().contains("needs 1056540 bytes, the file has 1056536"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("y")));

        e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cTokenizer.convert(fixture.resolve("tok512.bin"), 600, tmp.resolve("t.json")));
        assertTrue(e.getMessage().contains("not a llama2.c tokenizer"), e.getMessage());
    }

    private static void assertGreedy(CausalLM m, String how, boolean useCache) {
        List<int[]> prompts = cases.stream().map(Case::prompt).toList();
        List<Completion> out = m.generate(prompts, SamplingParams.greedy(32), new int[0], useCache, step -> { });
        for (int i = 0; i < cases.size(); i++) {
            assertArrayEquals(cases.get(i).greedy(), out.get(i).outputTokenIds(), how + ", case " + (i + 1) + " greedy ids");
        }
    }

    /** Logits at every position from one forward pass over the whole prompt. */
    static float[][] fullForward(CausalLM m, int[] prompt) {
        try (NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            int n = prompt.length;
            long[] tok = new long[n];
            long[] pos = new long[n];
            float[] mask = new float[n];
            for (int i = 0; i < n; i++) {
                tok[i] = prompt[i];
                pos[i] = i;
                mask[i] = 1f;
            }
            Shape s = new Shape(1, n);
            float[] flat = m.transformer().forward(nd, nd.create(tok, s), nd.create(pos, s), nd.create(mask, s), null).toFloatArray();
            return rows(flat, n, m.vocabSize());
        }
    }

    /** Logits at every position, feeding one token per step through the KV cache. */
    static float[][] oneTokenAtATime(CausalLM m, int[] prompt) {
        int n = prompt.length;
        float[][] out = new float[n][];
        try (NDManager nd = NDManager.newBaseManager(Device.cpu()); KvCache cache = new KvCache(nd, m.config().numLayers())) {
            for (int i = 0; i < n; i++) {
                try (NDManager step = nd.newSubManager()) {
                    float[] mask = new float[i + 1];
                    Arrays.fill(mask, 1f);
                    NDArray logits = m.transformer().forward(step, step.create(new long[] {prompt[i]}, new Shape(1, 1)),
                            step.create(new long[] {i}, new Shape(1, 1)), step.create(mask, new Shape(1, i + 1)), cache);
                    out[i] = logits.get(new NDIndex("0, 0, :")).toFloatArray();
                }
            }
        }
        return out;
    }

    static double maxDiff(float[][] got, float[][] want) {
        assertEquals(want.length, got.length);
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i].length, got[i].length);
            for (int v = 0; v < want[i].length; v++) max = Math.max(max, Math.abs((double) got[i][v] - want[i][v]));
        }
        return max;
    }

    /** Inverse of Llama2c.toRotateHalf: back to Meta's interleaved row order. */
    static float[] toMeta(float[] w, int heads, int hd, int cols) {
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < hd / 2; j++) {
                System.arraycopy(w, (h * hd + j) * cols, out, (h * hd + 2 * j) * cols, cols);
                System.arraycopy(w, (h * hd + hd / 2 + j) * cols, out, (h * hd + 2 * j + 1) * cols, cols);
            }
        }
        return out;
    }

    private static float[][] rows(float[] flat, int n, int v) {
        float[][] r = new float[n][];
        for (int i = 0; i < n; i++) r[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        return r;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
