package dev.ccpo.policy.model;

import dev.ccpo.policy.ChatMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The project's tiny tokenizer: printable ASCII (ids 0..94), newline (95) and the special tokens
 * {@code <|endoftext|>} (96), {@code <|im_start|>} (97), {@code <|im_end|>} (98). Other characters map to '?'.
 * Special-token strings in the text are encoded as their ids (as HF tokenizers do). ChatML template, no default system.
 */
public final class CharTokenizer implements TextTokenizer {
    public static final String FILE_NAME = "char_tokenizer.json";
    static final String[] SPECIALS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    public static final int NEWLINE = 95;
    public static final int ENDOFTEXT = 96;
    public static final int IM_START = 97;
    public static final int IM_END = 98;
    public static final int VOCAB = 99;
    private static final String JSON = "{\"type\": \"char\", \"version\": 1, \"vocab_size\": 99}\n";

    @Override
    public int[] encode(String text) {
        int[] out = new int[text.length()];
        int n = 0;
        int i = 0;
        outer:
        while (i < text.length()) {
            if (text.charAt(i) == '<') {
                for (int s = 0; s < SPECIALS.length; s++) {
                    if (text.startsWith(SPECIALS[s], i)) {
                        out[n++] = ENDOFTEXT + s;
                        i += SPECIALS[s].length();
                        continue outer;
                    }
                }
            }
            char c = text.charAt(i++);
            if (c == '\n') out[n++] = NEWLINE;
            else if (c >= 32 && c <= 126) out[n++] = c - 32;
            else out[n++] = '?' - 32;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < 95) sb.append((char) (id + 32));
            else if (id == NEWLINE) sb.append('\n');
            // specials and out-of-range ids are skipped
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int[] endOfTurnIds() {
        return new int[] {IM_END, ENDOFTEXT};
    }

    @Override
    public int[] applyChatTemplate(List<ChatMessage> messages) {
        return encode(ChatTemplates.chatMl(messages, null));
    }

    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(FILE_NAME), JSON, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE_NAME), e);
        }
    }

    public static CharTokenizer load(Path file) {
        try {
            String s = Files.readString(file);
            if (!s.contains("\"char\"")) {
                throw new IllegalArgumentException(file + " is not a char tokenizer file (expected \"type\": \"char\")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new CharTokenizer();
    }
}
