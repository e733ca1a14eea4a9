package dev.ccpo.policy.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The converted tokenizer.json (HF BPE through DJL's tokenizers) against run.c's own encode algorithm, re-implemented here
 * from llama2.c's run.c (dummy " " prefix, code point lookup with byte fallback +3, then repeatedly merge the adjacent
 * pair whose concatenation has the best score, first pair on ties), on random text.
 */
class Llama2cTokenizerTest {
    @TempDir
    Path tmp;

    @Test
    void encodesRandomTextLikeRunC() throws Exception {
        Path bin = Path.of(getClass().getResource("/stories260K/tok512.bin").toURI());
        Path json = tmp.resolve("tokenizer.json");
        Llama2cTokenizer.convert(bin, 512, json);
        RunCEncoder runC = new RunCEncoder(Files.readAllBytes(bin), 512);
        String[] words = {"Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "Tim", "ball", "park",
                "she", "He", "happy", "played", "together", "friend", "dog", "naïve", "café", "🙂", "x", "ZZZ", "123", "don't",
                "\"Hi!\"", "sun.", "tree,", "Mom", "–", "über", "jumped", "sky"};
        Random r = new Random(16);
        try (HfTokenizer hf = HfTokenizer.load(json, "llama")) {
            for (int n = 0; n < 300; n++) {
                StringBuilder sb = new StringBuilder();
                int len = 1 + r.nextInt(12);
                for (int w = 0; w < len; w++) {
                    if (w > 0) sb.append(r.nextInt(10) == 0 ? "  " : r.nextInt(15) == 0 ? "\n" : " ");
                    sb.append(words[r.nextInt(words.length)]);
                }
                String text = sb.toString();
                assertArrayEquals(runC.encode(text), hf.encode(text), "text: " + text);
                assertEquals(text, hf.decode(hf.encode(text)), "round trip");
            }
        }
    }

    /** run.c's encode() (bos = eos = 0), over the pieces and scores of tokenizer.bin. */
    static final class RunCEncoder {
        final String[] vocab;
        final float[] scores;
        final Map<String, Integer> ids = new HashMap<>();

        RunCEncoder(byte[] bin, int n) {
            ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
            b.getInt();
            vocab = new String[n];
            scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = b.getFloat();
                byte[] s = new byte[b.getInt()];
                b.get(s);
                vocab[i] = new String(s, StandardCharsets.UTF_8);
                ids.putIfAbsent(vocab[i], i);
            }
        }

        int[] encode(String text) {
            List<Integer> t = new ArrayList<>();
            if (!text.isEmpty()) t.add(ids.get(" "));
            text.codePoints().forEach(cp -> {
                String c = new String(Character.toChars(cp));
                Integer id = ids.get(c);
                if (id != null) {
                    t.add(id);
                } else {
                    for (byte x : c.getBytes(StandardCharsets.UTF_8)) t.add((x & 0xFF) + 3);
                }
            });
            while (true) {
                float best = -1e10f;
                int bestId = -1;
                int bestIdx = -1;
                for (int i = 0; i + 1 < t.size(); i++) {
                    Integer id = ids.get(vocab[t.get(i)] + vocab[t.get(i + 1)]);
                    if (id != null && scores[id] > best) {
                        best = scores[id];
                        bestId = id;
                        bestIdx = i;
                    }
                }
                if (bestIdx < 0) break;
                t.set(bestIdx, bestId);
                t.remove(bestIdx + 1);
            }
            return t.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
