package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.PromptTooLongException;
import dev.ccpo.policy.GenerationTimeoutException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A causal LM (Qwen2 / Llama architecture, fp32): batched seeded sampling with a KV cache (ChatModel) and
 * teacher-forced scoring (completionLogProbs). Behaviour log-probs in Completion.logProbs are
 * log_softmax(logits / T) at the sampled token (T = params.temperature, 1 when greedy), before top-p truncation,
 * as vLLM / verl record them: they equal completionLogProbs(..., T) of the same weights to about 1e-4.
 * Not thread-safe: one caller at a time.
 */
public final class CausalLM implements ChatModel, AutoCloseable {
    private final ModelConfig config;
    private final TextTokenizer tokenizer;
    private final Device device;
    private final NDManager manager;
    private final LinkedHashMap<String, NDArray> params;
    private final Transformer transformer;

    private CausalLM(ModelConfig config, TextTokenizer tokenizer, Device device, Map<String, SafeTensors.FloatTensor> weights) {
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens but the model vocab_size is "
                    + config.vocabSize());
        }
        this.config = config;
        this.tokenizer = tokenizer;
        this.device = device;
        this.manager = NDManager.newBaseManager(device);
        this.params = new LinkedHashMap<>();
        for (Map.Entry<String, SafeTensors.FloatTensor> e : weights.entrySet()) {
            params.put(e.getKey(), Checkpoint.toArray(manager, e.getValue()));
        }
        this.transformer = new Transformer(config, params);
    }

    /** Folder with config.json, tokenizer.json or char_tokenizer.json, and model.safetensors or shards + index. */
    public static CausalLM open(Path checkpointDir, Device device) {
        ModelConfig c = Checkpoint.readConfig(checkpointDir);
        TextTokenizer t = Checkpoint.readTokenizer(checkpointDir, c);
        try {
            return new CausalLM(c, t, device, Checkpoint.readWeights(checkpointDir, c));
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** A folder's config and weights with the given tokenizer (e.g. an IdsOnlyTokenizer for a folder without one). */
    public static CausalLM open(Path checkpointDir, Device device, TextTokenizer tokenizer) {
        ModelConfig c = Checkpoint.readConfig(checkpointDir);
        return new CausalLM(c, tokenizer, device, Checkpoint.readWeights(checkpointDir, c));
    }

    /** Whether the folder has a tokenizer file CausalLM.open(dir, device) can load. */
    public static boolean hasTokenizer(Path checkpointDir) {
        return java.nio.file.Files.isRegularFile(checkpointDir.resolve(HfTokenizer.FILE_NAME))
                || java.nio.file.Files.isRegularFile(checkpointDir.resolve(CharTokenizer.FILE_NAME));
    }

    /** The base checkpoint's architecture and tokenizer with other weights (a published policy version); closes it and rethrows if they do not fit. */
    public static CausalLM open(Path checkpointDir, Device device, byte[] safetensors) {
        CausalLM m = open(checkpointDir, device);
        try {
            m.importWeights(safetensors);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Fresh random init (seeded): tests and the demo's tiny model. */
    public static CausalLM init(ModelConfig config, TextTokenizer tokenizer, long seed, Device device) {
        return new CausalLM(config, tokenizer, device, Checkpoint.randomInit(config, seed));
    }

    /** Writes config.json, the tokenizer file and model.safetensors (fp32). */
    public void save(Path checkpointDir) {
        config.writeHfJson(checkpointDir.resolve(Checkpoint.CONFIG));
        if (tokenizer instanceof CharTokenizer ct) {
            ct.save(checkpointDir);
        } else if (tokenizer instanceof HfTokenizer ht) {
            try {
                Path target = checkpointDir.resolve(HfTokenizer.FILE_NAME);
                if (!ht.file().toAbsolutePath().equals(target.toAbsolutePath())) {
                    java.nio.file.Files.copy(ht.file(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot copy tokenizer into " + checkpointDir, e);
            }
        } else {
            throw new IllegalStateException("cannot save tokenizer of type " + tokenizer.getClass().getName());
        }
        SafeTensors.write(checkpointDir.resolve(SafeTensors.SINGLE), snapshot());
    }

    private LinkedHashMap<String, SafeTensors.FloatTensor> snapshot() {
        LinkedHashMap<String, SafeTensors.FloatTensor> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, Checkpoint.fromArray(v)));
        return out;
    }

    /** model.safetensors bytes, HF names, fp32. */
    public byte[] exportWeights() {
        return SafeTensors.toBytes(snapshot());
    }

    /** Validates names and shapes first; on error keeps the old weights and throws IllegalArgumentException. */
    public void importWeights(byte[] safetensors) {
        Map<String, SafeTensors.FloatTensor> found = new LinkedHashMap<>();
        SafeTensors.read(safetensors, found::put);
        if (config.tieWordEmbeddings()) found.remove("lm_head.weight");
        LinkedHashMap<String, SafeTensors.FloatTensor> ok = Checkpoint.validate(config, found, "imported weights");
        // Copy in place so arrays handed out by parameters() stay live.
        for (Map.Entry<String, SafeTensors.FloatTensor> e : ok.entrySet()) {
            NDArray p = params.get(e.getKey());
            try (NDManager tmp = manager.newSubManager()) {
                NDArray src = Checkpoint.toArray(tmp, e.getValue());
                p.set(new NDIndex("..."), src);
            }
        }
    }

    /**
     * A worker's in-place weights swap (RolePolicies' reloader): {@link #importWeights} into a model that must be a
     * CausalLM; it checks the blob before it copies anything, so a refused blob leaves the model as it was.
     */
    public static void reload(ChatModel model, byte[] safetensors) {
        if (!(model instanceof CausalLM lm))
            throw new IllegalArgumentException("cannot load weights into a " + model.getClass().getName());
        lm.importWeights(safetensors);
    }

    /** The name of the first parameter holding a NaN or an infinity, or null when every value is finite. */
    public String firstNonFiniteTensor() {
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            try (NDArray nan = p.isNaN(); NDArray inf = p.isInfinite(); NDArray bad = nan.logicalOr(inf); NDArray any = bad.any()) {
                if (any.getBoolean()) return e.getKey();
            }
        }
        return null;
    }

    /** HF names -> live parameter arrays, in a stable order. */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Attaches (or drops) gradients on all parameters, for a GradientCollector. */
    public void setTrainable(boolean trainable) {
        for (NDArray p : params.values()) p.setRequiresGradient(trainable);
    }

    Transformer transformer() {
        return transformer;
    }

    public ModelConfig config() {
        return config;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public Device device() {
        return device;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public void close() {
        manager.close();
        tokenizer.close();
    }

    /**
     * Teacher-forced log-probs of each completion token given its prompt: float32 [B, Tmax] (positions past a row's
     * completion are 0), log_softmax(logits / temperature) at the token (temperature <= 0 is taken as 1, like greedy
     * sampling). Differentiable w.r.t. parameters() inside a GradientCollector with setTrainable(true).
     * Layout: prompts left-padded to the longest prompt, completions right-padded, so one slice covers all rows.
     */
    public NDArray completionLogProbs(NDManager manager, List<int[]> prompts, List<int[]> completions, float temperature) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + completions.size() + " completions");
        }
        int b = prompts.size();
        int pmax = 0;
        int cmax = 0;
        for (int i = 0; i < b; i++) {
            if (prompts.get(i).length == 0) throw new IllegalArgumentException("prompt " + i + " is empty");
            pmax = Math.max(pmax, prompts.get(i).length);
            cmax = Math.max(cmax, completions.get(i).length);
        }
        if (b == 0 || cmax == 0) return manager.zeros(new Shape(b, cmax), DataType.FLOAT32);
        int len = pmax + cmax;
        long[] tok = new long[b * len];
        long[] pos = new long[b * len];
        float[] keyMask = new float[b * len];
        long[] target = new long[b * cmax];
        float[] targetMask = new float[b * cmax];
        for (int r = 0; r < b; r++) {
            int[] pr = prompts.get(r);
            int[] co = completions.get(r);
            int start = pmax - pr.length;
            for (int j = 0; j < pr.length + co.length; j++) {
                int at = r * len + start + j;
                tok[at] = checkId(j < pr.length ? pr[j] : co[j - pr.length]);
                pos[at] = j;
                keyMask[at] = 1f;
            }
            for (int j = 0; j < co.length; j++) {
                target[r * cmax + j] = co[j];
                targetMask[r * cmax + j] = 1f;
            }
        }
        NDArray tokens = manager.create(tok, new Shape(b, len)).toDevice(device, false);
        NDArray positions = manager.create(pos, new Shape(b, len)).toDevice(device, false);
        NDArray mask = manager.create(keyMask, new Shape(b, len)).toDevice(device, false);
        NDArray hidden = transformer.hidden(manager, tokens, positions, mask, null);
        // Hidden state at position p predicts token p + 1: the slice [pmax-1, pmax-1+cmax) predicts the completions.
        NDArray h = hidden.get(new NDIndex(":, {}:{}, :", pmax - 1, pmax - 1 + cmax));
        NDArray logits = transformer.head(h);
        if (temperature > 0 && temperature != 1f) logits = logits.div(temperature);
        NDArray idx = manager.create(target, new Shape(b, cmax, 1)).toDevice(device, false);
        NDArray lp = logits.logSoftmax(-1).gather(idx, 2).reshape(b, cmax);
        NDArray out = lp.mul(manager.create(targetMask, new Shape(b, cmax)).toDevice(device, false));
        return out.getDevice().equals(manager.getDevice()) ? out : out.toDevice(manager.getDevice(), false);
    }

    private long checkId(int id) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        return id;
    }

    /** Applies the chat template to each conversation and samples (KV cache, batched). */
    @Override
    public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params) {
        return complete(conversations, params, Sampler.rowSeeds(params.seed(), conversations.size()));
    }

    /** As complete(conversations, params), each row drawing from its own seed: still one batched run. */
    @Override
    public List<Completion> complete(List<List<ChatMessage>> conversations, SamplingParams params, long[] rowSeeds) {
        List<int[]> prompts = new ArrayList<>(conversations.size());
        for (List<ChatMessage> c : conversations) prompts.add(tokenizer.applyChatTemplate(c));
        return generate(prompts, params, rowSeeds, tokenizer.endOfTurnIds(), true, step -> { });
    }

    /** Samples a completion for each already-tokenized prompt (KV cache, batched, per-row early stop). */
    public List<Completion> generate(List<int[]> prompts, SamplingParams params) {
        return generate(prompts, params, true);
    }

    /** As generate(prompts, params), but rows stop only at the given ids (none: run to maxNewTokens or a stop string). */
    public List<Completion> generate(List<int[]> prompts, SamplingParams params, int[] stopIds) {
        return generate(prompts, params, stopIds, true, step -> { });
    }

    /** As generate(prompts, params, stopIds); afterStep gets the number of tokens sampled so far after each step. */
    public List<Completion> generate(List<int[]> prompts, SamplingParams params, int[] stopIds, java.util.function.IntConsumer afterStep) {
        return generate(prompts, params, stopIds, true, afterStep);
    }

    /** useCache = false recomputes the whole prefix each step: the reference the KV-cache path is tested against. */
    List<Completion> generate(List<int[]> prompts, SamplingParams params, boolean useCache) {
        return generate(prompts, params, tokenizer.endOfTurnIds(), useCache, step -> { });
    }

    List<Completion> generate(List<int[]> prompts, SamplingParams params, int[] stopIds, boolean useCache,
            java.util.function.IntConsumer afterStep) {
        return generate(prompts, params, Sampler.rowSeeds(params.seed(), prompts.size()), stopIds, useCache, afterStep);
    }

    private List<Completion> generate(List<int[]> prompts, SamplingParams params, long[] rowSeeds, int[] stopIds, boolean useCache,
            java.util.function.IntConsumer afterStep) {
        int b = prompts.size();
        if (b == 0) return List.of();
        for (int[] p : prompts)  // before any tensor: one absurd prompt must not try to allocate gigabytes
            if (p.length > params.maxPromptTokens()) throw new PromptTooLongException(p.length, params.maxPromptTokens());
        long deadline = params.timeLimitMs() > 0 ? System.nanoTime() + params.timeLimitMs() * 1_000_000L : Long.MAX_VALUE;
        Decoding d = new Decoding(prompts, params, rowSeeds, stopIds, tokenizer::decode, config.maxPositionEmbeddings());
        try (NDManager run = manager.newSubManager(); KvCache cache = useCache ? new KvCache(run, config.numLayers()) : null) {
            float[][] last = step(run, d, cache, true);
            for (int i = 0; ; i++) {
                d.advance(last);
                afterStep.accept(i + 1);
                if (d.allDone() || i == params.maxNewTokens() - 1) break;
                if (System.nanoTime() > deadline) throw new GenerationTimeoutException(params.timeLimitMs(), i + 1);
                last = step(run, d, cache, false);
            }
        }
        return d.finish();
    }

    /** One forward pass in a short-lived manager; returns the last position's logits per row. */
    private float[][] step(NDManager run, Decoding d, KvCache cache, boolean first) {
        int b = d.rows;
        try (NDManager step = run.newSubManager()) {
            int t = (cache == null || first) ? d.length() : 1;
            int s = d.length();
            long[] tok = new long[b * t];
            long[] pos = new long[b * t];
            float[] mask = new float[b * s];
            for (int r = 0; r < b; r++) {
                for (int j = 0; j < s; j++) mask[r * s + j] = d.mask(r, j);
                for (int j = 0; j < t; j++) {
                    tok[r * t + j] = d.token(r, s - t + j);
                    pos[r * t + j] = d.position(r, s - t + j);
                }
            }
            NDArray h = transformer.hidden(step, step.create(tok, new Shape(b, t)), step.create(pos, new Shape(b, t)),
                    step.create(mask, new Shape(b, s)), cache);
            float[] flat = transformer.head(h.get(new NDIndex(":, -1, :"))).toType(DataType.FLOAT32, false).toFloatArray();
            int v = config.vocabSize();
            float[][] rows = new float[b][];
            for (int r = 0; r < b; r++) rows[r] = java.util.Arrays.copyOfRange(flat, r * v, (r + 1) * v);
            return rows;
        }
    }
}
