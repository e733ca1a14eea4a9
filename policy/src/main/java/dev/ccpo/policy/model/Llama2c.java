package dev.ccpo.policy.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;

/**
 * Karpathy's llama2.c checkpoints ("legacy" format, run.c's memory_map_weights) read into the Hugging Face layout
 * the project loads: a 28-byte header of seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len; a negative vocab_size means an untied classifier follows), then float32 arrays in a fixed order.
 * q_proj and k_proj rows are permuted from Meta's interleaved RoPE pairs (2j, 2j+1) to HF's rotate_half pairs
 * (j, j + head_dim/2), per head; k_proj with the number of KV heads. RMSNorm eps 1e-5 and RoPE theta 10000 are
 * hard-coded in run.c, so they are fixed here too.
 */
public final class Llama2c {
    /** Magic of llama2.c's newer export formats (version 1 and 2, "ak42"), which this reader does not take. */
    private static final int MAGIC_AK42 = 0x616b3432;

    /** The header; sharedClassifier is vocab_size > 0 in the file. */
    public record Header(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int seqLen,
            boolean sharedClassifier) {

        int headDim() {
            return dim / nHeads;
        }

        /** Floats after the header that this header implies (run.c's order, including the unused freq_cis arrays). */
        long floats() {
            long d = dim;
            long kv = (long) nKvHeads * headDim();
            long perLayer = d + d * d + kv * d + kv * d + d * d + d + 3L * hiddenDim * d;
            long n = (long) vocabSize * d + nLayers * perLayer + d + (long) seqLen * headDim();
            return sharedClassifier ? n : n + (long) vocabSize * d;
        }

        public ModelConfig config() {
            return new ModelConfig("llama", vocabSize, dim, nLayers, nHeads, nKvHeads, hiddenDim, 10000.0, 1e-5,
                    sharedClassifier, false, seqLen);
        }
    }

    private Llama2c() {}

    /** Reads and checks the header against the file size; errors say why the file is not a llama2.c checkpoint. */
    public static Header header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 28) throw notCheckpoint(file, "it has " + size + " bytes, fewer than the 28-byte header");
            ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) ch.read(b, b.position());
            b.flip();
            int[] h = new int[7];
            for (int i = 0; i < 7; i++) h[i] = b.getInt();
            if (h[0] == MAGIC_AK42) {
                throw notCheckpoint(file, "it starts with the magic 'ak42' of llama2.c's version " + h[1]
                        + " export; export it with --version 0 (legacy format)");
            }
            String fields = String.format("dim=%d hidden_dim=%d n_layers=%d n_heads=%d n_kv_heads=%d vocab_size=%d seq_len=%d",
                    h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
            int vocab = Math.abs(h[5]);
            boolean sane = h[0] > 0 && h[1] > 0 && h[2] > 0 && h[3] > 0 && h[4] > 0 && h[5] != 0 && h[5] != Integer.MIN_VALUE
                    && h[6] > 0 && h[0] <= 65536 && h[1] <= 1 << 20 && h[2] <= 1024 && vocab <= 1 << 22 && h[6] <= 1 << 24
                    && h[0] % h[3] == 0 && h[3] % h[4] == 0 && (h[0] / h[3]) % 2 == 0;
            if (!sane) throw notCheckpoint(file, "its header is not a plausible model: " + fields);
            Header header = new Header(h[0], h[1], h[2], h[3], h[4], vocab, h[6], h[5] > 0);
            long expected = 28 + 4 * header.floats();
            if (size != expected) {
                throw notCheckpoint(file, "its header (" + fields + ") needs " + expected + " bytes, the file has " + size);
            }
            return header;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException notCheckpoint(Path file, String why) {
        return new IllegalArgumentException(file + " is not a llama2.c checkpoint (legacy format): " + why);
    }

    /** The weights with HF names (q_proj / k_proj permuted), in Checkpoint.expectedShapes order. */
    public static LinkedHashMap<String, SafeTensors.FloatTensor> weights(Path file) {
        Header h = header(file);
        int d = h.dim();
        int hd = h.headDim();
        int kv = h.nKvHeads() * hd;
        int ff = h.hiddenDim();
        int layers = h.nLayers();
        float[] embed;
        float[] attNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, finalNorm, wcls = null;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FloatBuffer f = ch.map(FileChannel.MapMode.READ_ONLY, 28, ch.size() - 28).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            embed = take(f, (long) h.vocabSize() * d);
            attNorm = take(f, (long) layers * d);
            wq = take(f, (long) layers * d * d);
            wk = take(f, (long) layers * kv * d);
            wv = take(f, (long) layers * kv * d);
            wo = take(f, (long) layers * d * d);
            ffnNorm = take(f, (long) layers * d);
            w1 = take(f, (long) layers * ff * d);
            w2 = take(f, (long) layers * d * ff);
            w3 = take(f, (long) layers * ff * d);
            finalNorm = take(f, d);
            f.position(f.position() + h.seqLen() * hd); // freq_cis_real and freq_cis_imag: run.c ignores them
            if (!h.sharedClassifier()) wcls = take(f, (long) h.vocabSize() * d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        LinkedHashMap<String, SafeTensors.FloatTensor> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", t(embed, 0, h.vocabSize(), d));
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            out.put(p + "input_layernorm.weight", t(attNorm, i, d));
            out.put(p + "self_attn.q_proj.weight", new SafeTensors.FloatTensor(new long[] {d, d},
                    toRotateHalf(slice(wq, i, d * d), h.nHeads(), hd, d)));
            out.put(p + "self_attn.k_proj.weight", new SafeTensors.FloatTensor(new long[] {kv, d},
                    toRotateHalf(slice(wk, i, kv * d), h.nKvHeads(), hd, d)));
            out.put(p + "self_attn.v_proj.weight", t(wv, i, kv, d));
            out.put(p + "self_attn.o_proj.weight", t(wo, i, d, d));
            out.put(p + "post_attention_layernorm.weight", t(ffnNorm, i, d));
            out.put(p + "mlp.gate_proj.weight", t(w1, i, ff, d));
            out.put(p + "mlp.up_proj.weight", t(w3, i, ff, d));
            out.put(p + "mlp.down_proj.weight", t(w2, i, d, ff));
        }
        out.put("model.norm.weight", t(finalNorm, 0, d));
        if (wcls != null) out.put("lm_head.weight", t(wcls, 0, h.vocabSize(), d));
        return out;
    }

    /**
     * Meta's interleaved RoPE rows to HF rotate_half rows, per head (transformers' convert_llama_weights_to_hf
     * permute, llama2.c export.py permute_original): HF row h*hd + j = Meta row h*hd + 2j and HF row
     * h*hd + hd/2 + j = Meta row h*hd + 2j + 1, for j < hd/2. w is [heads * hd, cols] row-major.
     */
    static float[] toRotateHalf(float[] w, int heads, int hd, int cols) {
        if (w.length != heads * hd * cols) throw new IllegalArgumentException("expected " + heads * hd * cols + " values, got " + w.length);
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < hd / 2; j++) {
                System.arraycopy(w, (h * hd + 2 * j) * cols, out, (h * hd + j) * cols, cols);
                System.arraycopy(w, (h * hd + 2 * j + 1) * cols, out, (h * hd + hd / 2 + j) * cols, cols);
            }
        }
        return out;
    }

    /**
     * Converts a llama2.c checkpoint (and, when tokenizerBin is not null, its tokenizer.bin) into a checkpoint folder
     * CausalLM.open reads: config.json, model.safetensors and tokenizer.json. Returns the model's config.
     */
    public static ModelConfig convert(Path checkpointBin, Path tokenizerBin, Path outDir) {
        Header h = header(checkpointBin);
        ModelConfig c = h.config();
        LinkedHashMap<String, SafeTensors.FloatTensor> w = Checkpoint.validate(c, weights(checkpointBin), checkpointBin.toString());
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + outDir + ": " + e.getMessage(), e);
        }
        if (tokenizerBin != null) Llama2cTokenizer.convert(tokenizerBin, h.vocabSize(), outDir.resolve(HfTokenizer.FILE_NAME));
        c.writeHfJson(outDir.resolve(Checkpoint.CONFIG));
        addSpecialIds(outDir.resolve(Checkpoint.CONFIG));
        SafeTensors.write(outDir.resolve(SafeTensors.SINGLE), w);
        return c;
    }

    /** BOS 1 and the ids that end a text: EOS 2, and BOS 1, which run.c stops at (llama2.c's models delimit stories with BOS). */
    private static void addSpecialIds(Path configJson) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(configJson.toFile());
            n.put("bos_token_id", 1);
            n.putArray("eos_token_id").add(2).add(1);
            json.writerWithDefaultPrettyPrinter().writeValue(configJson.toFile(), n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configJson + ": " + e.getMessage(), e);
        }
    }

    private static float[] take(FloatBuffer f, long n) {
        float[] a = new float[Math.toIntExact(n)];
        f.get(a);
        return a;
    }

    private static float[] slice(float[] all, int layer, int n) {
        float[] a = new float[n];
        System.arraycopy(all, layer * n, a, 0, n);
        return a;
    }

    private static SafeTensors.FloatTensor t(float[] all, int layer, int n) {
        return new SafeTensors.FloatTensor(new long[] {n}, slice(all, layer, n));
    }

    private static SafeTensors.FloatTensor t(float[] all, int layer, int rows, int cols) {
        return new SafeTensors.FloatTensor(new long[] {rows, cols}, slice(all, layer, rows * cols));
    }
}
