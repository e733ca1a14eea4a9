package dev.ccpo.policy.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's tokenizer.bin (int32 max_token_length, then per token: float32 score, int32 length, UTF-8 bytes) as a
 * Hugging Face tokenizer.json: a SentencePiece-style BPE with byte fallback (pieces 3..258 are {@code <0x00>}..{@code <0xFF>}),
 * ids 0/1/2 = {@code <unk>}, {@code <s>} (BOS), {@code </s>} (EOS) as special tokens, spaces as "▁" with a leading one
 * prepended (run.c's dummy prefix), and the merges ordered by the merged piece's score, highest first: run.c merges the
 * adjacent pair whose concatenation has the best score, which is what BPE by merge rank does. Decoding drops the leading
 * space of the text (run.c drops it after BOS). BOS is not added by encode: callers put id 1 first, as run.c does.
 */
public final class Llama2cTokenizer {
    static final String SPACE = "\u2581";
    private static final List<String> SPECIAL = List.of("<unk>", "<s>", "</s>");

    private Llama2cTokenizer() {}

    /** A piece and its merge score. */
    record Piece(String text, float score) {}

    static List<Piece> read(Path tokenizerBin, int vocabSize) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(tokenizerBin);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + tokenizerBin + ": " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Piece> pieces = new ArrayList<>(vocabSize);
        try {
            int maxLen = b.getInt();
            for (int i = 0; i < vocabSize; i++) {
                float score = b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > maxLen || len > b.remaining()) {
                    throw new IllegalArgumentException(tokenizerBin + " is not a llama2.c tokenizer for " + vocabSize
                            + " tokens: token " + i + " has length " + len + " (max_token_length " + maxLen + ")");
                }
                byte[] s = new byte[len];
                b.get(s);
                String text = i < SPECIAL.size() ? SPECIAL.get(i) : new String(s, StandardCharsets.UTF_8).replace(" ", SPACE);
                pieces.add(new Piece(text, score));
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException(tokenizerBin + " is not a llama2.c tokenizer for " + vocabSize + " tokens: it ends after "
                    + pieces.size() + " tokens");
        }
        if (b.hasRemaining()) {
            throw new IllegalArgumentException(tokenizerBin + " is not a llama2.c tokenizer for " + vocabSize + " tokens: "
                    + b.remaining() + " bytes are left after the last token (a tokenizer of another vocabulary?)");
        }
        for (int i = 3; i < Math.min(259, vocabSize); i++) {
            if (!pieces.get(i).text().equals(String.format("<0x%02X>", i - 3))) {
                throw new IllegalArgumentException(tokenizerBin + ": token " + i + " is '" + pieces.get(i).text()
                        + "', expected the byte-fallback piece " + String.format("<0x%02X>", i - 3));
            }
        }
        return pieces;
    }

    /** Writes tokenizer.json for the first vocabSize tokens of tokenizer.bin. */
    public static void convert(Path tokenizerBin, int vocabSize, Path tokenizerJson) {
        List<Piece> pieces = read(tokenizerBin, vocabSize);
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIAL.size(); i++) {
            added.addObject().put("id", i).put("content", SPECIAL.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ArrayNode norms = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", SPACE);
        norms.addObject().put("type", "Replace").<ObjectNode>set("pattern", json.createObjectNode().put("String", " "))
                .put("content", SPACE);
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        ArrayNode decoders = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        decoders.addObject().put("type", "Replace").<ObjectNode>set("pattern", json.createObjectNode().put("String", SPACE))
                .put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.put("unk_token", "<unk>").putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            Integer before = ids.putIfAbsent(pieces.get(i).text(), i);
            if (before != null) throw new IllegalArgumentException(tokenizerBin + ": piece '" + pieces.get(i).text()
                    + "' appears twice (ids " + before + " and " + i + ")");
            vocab.put(pieces.get(i).text(), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (String m : merges(pieces, ids)) merges.add(m);
        try {
            Files.createDirectories(tokenizerJson.toAbsolutePath().getParent());
            json.writerWithDefaultPrettyPrinter().writeValue(tokenizerJson.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** Every split of a merged piece into two pieces of the vocabulary, best merged score first ("left right"). */
    static List<String> merges(List<Piece> pieces, Map<String, Integer> ids) {
        record Merge(String left, String right, float score, int id, int leftId) {}
        List<Merge> all = new ArrayList<>();
        for (int id = 259; id < pieces.size(); id++) {
            String s = pieces.get(id).text();
            for (int k = s.offsetByCodePoints(0, 1); k < s.length(); k = s.offsetByCodePoints(k, 1)) {
                Integer l = ids.get(s.substring(0, k));
                Integer r = ids.get(s.substring(k));
                if (l != null && r != null && l >= 3 && r >= 3) all.add(new Merge(s.substring(0, k), s.substring(k), pieces.get(id).score(), id, l));
            }
        }
        all.sort(Comparator.comparingDouble((Merge m) -> -m.score()).thenComparingInt(Merge::id).thenComparingInt(Merge::leftId));
        List<String> out = new ArrayList<>(all.size());
        for (Merge m : all) out.add(m.left() + " " + m.right());
        return out;
    }
}
