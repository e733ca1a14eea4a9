package dev.ccpo.policy.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.policy.ChatMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A Hugging Face tokenizer.json (Qwen2.5, Llama 3) through DJL's tokenizers binding; the family picks the chat template. */
public final class HfTokenizer implements TextTokenizer {
    public static final String FILE_NAME = "tokenizer.json";
    private final HuggingFaceTokenizer tok;
    private final String family;
    private final int vocabSize;
    private final int[] endOfTurn;
    private final Path file;

    private HfTokenizer(HuggingFaceTokenizer tok, String family, int vocabSize, int[] endOfTurn, Path file) {
        this.tok = tok;
        this.family = family;
        this.vocabSize = vocabSize;
        this.endOfTurn = endOfTurn;
        this.file = file;
    }

    /** Loads tokenizer.json; family ("qwen2" | "llama") picks the chat template and end-of-turn tokens. */
    public static HfTokenizer load(Path tokenizerJson, String family) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson);
        }
        HuggingFaceTokenizer t;
        int vocab = 0;
        try {
            // Explicit limits: the default max length (512) would silently truncate long prompts.
            t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .optMaxLength(1 << 20)
                    .build();
            JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
            for (JsonNode v : root.path("model").path("vocab")) vocab = Math.max(vocab, v.asInt() + 1);
            for (JsonNode a : root.path("added_tokens")) vocab = Math.max(vocab, a.path("id").asInt() + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
        List<String> eot = family.equals("llama")
                ? List.of("<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "</s>") // Llama 3; Llama 2 / llama2.c EOS
                : List.of("<|im_end|>", "<|endoftext|>");
        List<Integer> ids = new ArrayList<>();
        for (String s : eot) {
            long[] e = t.encode(s, false, false).getIds();
            if (e.length == 1) ids.add((int) e[0]);
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(tokenizerJson + " has none of the end-of-turn tokens " + eot + " as a single token");
        }
        return new HfTokenizer(t, family, vocab, ids.stream().mapToInt(Integer::intValue).toArray(), tokenizerJson);
    }

    public Path file() {
        return file;
    }

    @Override
    public int[] encode(String text) {
        Encoding e = tok.encode(text, false, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tok.decode(l, true);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] endOfTurnIds() {
        return endOfTurn.clone();
    }

    @Override
    public int[] applyChatTemplate(List<ChatMessage> messages) {
        return encode(ChatTemplates.render(family, messages));
    }

    @Override
    public void close() {
        tok.close();
    }
}
