package dev.ccpo.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checkpoint folder layout (Hugging Face compatible): config.json; tokenizer.json (HF) or char_tokenizer.json
 * (the project's tiny tokenizer); model.safetensors, or shards named in model.safetensors.index.json.
 */
public final class Checkpoint {
    public static final String CONFIG = "config.json";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Checkpoint.class);

    private Checkpoint() {}

    /** Every parameter's HF name and shape, in the stable order parameters() uses. */
    public static LinkedHashMap<String, long[]> expectedShapes(ModelConfig c) {
        LinkedHashMap<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long ff = c.intermediateSize();
        m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            if (c.attentionBias()) {
                m.put(p + "self_attn.q_proj.bias", new long[] {q});
                m.put(p + "self_attn.k_proj.bias", new long[] {kv});
                m.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "mlp.gate_proj.weight", new long[] {ff, h});
            m.put(p + "mlp.up_proj.weight", new long[] {ff, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, ff});
        }
        m.put("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) m.put("lm_head.weight", new long[] {c.vocabSize(), h});
        return m;
    }

    /** Seeded init: N(0, 0.02) for matrices, 1 for norms, 0 for biases (generated in Java, so identical on any engine). */
    static LinkedHashMap<String, SafeTensors.FloatTensor> randomInit(ModelConfig c, long seed) {
        LinkedHashMap<String, SafeTensors.FloatTensor> out = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(seed);
        for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
            long n = Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
            float[] data = new float[Math.toIntExact(n)];
            String name = e.getKey();
            if (name.endsWith("norm.weight")) {
                Arrays.fill(data, 1f);
            } else if (!name.endsWith(".bias")) {
                for (int i = 0; i < data.length; i++) data[i] = (float) (gaussian(rng) * 0.02);
            }
            out.put(name, new SafeTensors.FloatTensor(e.getValue(), data));
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Checks names and shapes against the config; returns the tensors in expected order.
     * Errors name the tensor, the expected and the found shape; extra tensors are logged and skipped.
     */
    static LinkedHashMap<String, SafeTensors.FloatTensor> validate(ModelConfig c, Map<String, SafeTensors.FloatTensor> found, String where) {
        LinkedHashMap<String, SafeTensors.FloatTensor> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
            SafeTensors.FloatTensor t = found.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey() + " " + Arrays.toString(e.getValue()));
                continue;
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException(where + ": tensor " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(e.getValue()));
            }
            float[] v = t.data();
            for (int i = 0; i < v.length; i++)
                if (!Float.isFinite(v[i]))
                    throw new IllegalArgumentException(where + ": tensor " + e.getKey() + " holds a non-finite value (" + v[i]
                            + ") at index " + i);
            out.put(e.getKey(), t);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(where + ": missing tensors (name, expected shape): " + missing);
        }
        for (String k : found.keySet()) {
            if (!out.containsKey(k)) {
                LOG.warn("{}: ignoring tensor {} that the model does not use", where, k);
            }
        }
        return out;
    }

    /** Reads and validates the weights of a checkpoint folder. */
    static LinkedHashMap<String, SafeTensors.FloatTensor> readWeights(Path dir, ModelConfig c) {
        Map<String, SafeTensors.FloatTensor> found = new LinkedHashMap<>();
        // Tied checkpoints sometimes still carry lm_head.weight: drop it before it costs memory.
        SafeTensors.readFolder(dir, (name, t) -> {
            if (!(c.tieWordEmbeddings() && name.equals("lm_head.weight"))) found.put(name, t);
        });
        return validate(c, found, dir.toString());
    }

    /** Loads config and tokenizer of a folder; errors name what is missing. */
    static ModelConfig readConfig(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("checkpoint folder does not exist: " + dir);
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException("checkpoint folder " + dir + " has no " + CONFIG);
        return ModelConfig.fromHfJson(cfg);
    }

    static TextTokenizer readTokenizer(Path dir, ModelConfig c) {
        Path hf = dir.resolve(HfTokenizer.FILE_NAME);
        if (Files.isRegularFile(hf)) return HfTokenizer.load(hf, c.family());
        Path ch = dir.resolve(CharTokenizer.FILE_NAME);
        if (Files.isRegularFile(ch)) return CharTokenizer.load(ch);
        throw new IllegalArgumentException("checkpoint folder " + dir + " has no tokenizer: expected "
                + HfTokenizer.FILE_NAME + " or " + CharTokenizer.FILE_NAME);
    }

    /** fp32 NDArray of a tensor on the manager's device. */
    static NDArray toArray(NDManager m, SafeTensors.FloatTensor t) {
        return m.create(t.data(), new Shape(t.shape()));
    }

    static SafeTensors.FloatTensor fromArray(NDArray a) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        float[] data = f.toFloatArray();
        if (f != a) f.close();
        return new SafeTensors.FloatTensor(a.getShape().getShape(), data);
    }
}
