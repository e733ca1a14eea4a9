package dev.ccpo.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

import java.util.Map;

/**
 * The decoder (Qwen2 / Llama) as plain NDArray math over a map of Hugging Face-named parameters:
 * per layer RMSNorm -> GQA self-attention with RoPE (HF rotate_half) -> residual -> RMSNorm -> SwiGLU -> residual;
 * then RMSNorm and the LM head (tied to the embedding when tieWordEmbeddings).
 */
final class Transformer {
    private final ModelConfig cfg;
    private final Map<String, NDArray> p;

    Transformer(ModelConfig cfg, Map<String, NDArray> params) {
        this.cfg = cfg;
        this.p = params;
    }

    /**
     * Logits [B, T, V] for tokens [B, T] (int64) at positions [B, T] (int64, RoPE positions).
     * keyMask [B, S] (float, 1 = real token, 0 = padding) covers the cached tokens plus the new ones (S = cache + T).
     * Attention is causal: new token t sees keys up to cacheLength + t. With a cache, the new keys/values are appended.
     * All intermediates go to manager.
     */
    NDArray forward(NDManager manager, NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        return head(hidden(manager, tokens, positions, keyMask, cache));
    }

    /** LM head: hidden states [..., hidden] -> logits [..., V]. */
    NDArray head(NDArray h) {
        NDArray w = cfg.tieWordEmbeddings() ? p.get("model.embed_tokens.weight") : p.get("lm_head.weight");
        return h.matMul(local(w.transpose(), h));
    }

    /** Final-normed hidden states [B, T, hidden]. */
    NDArray hidden(NDManager manager, NDArray tokens, NDArray positions, NDArray keyMask, KvCache cache) {
        long b = tokens.getShape().get(0);
        long t = tokens.getShape().get(1);
        long past = cache == null ? 0 : cache.length();
        NDArray embed = p.get("model.embed_tokens.weight");
        NDArray x = embed.getNDArrayInternal().embedding(tokens, embed, SparseFormat.DENSE).singletonOrThrow();
        x.attach(manager);
        NDArray[] cosSin = rope(manager, positions);
        NDArray bias = attentionBias(manager, keyMask, past, t);
        for (int i = 0; i < cfg.numLayers(); i++) {
            String pre = "model.layers." + i + ".";
            NDArray a = rmsNorm(x, p.get(pre + "input_layernorm.weight"));
            x = x.add(attention(manager, a, pre + "self_attn.", cosSin, bias, cache, i, b, t));
            NDArray m = rmsNorm(x, p.get(pre + "post_attention_layernorm.weight"));
            NDArray gate = linear(m, pre + "mlp.gate_proj", false);
            NDArray up = linear(m, pre + "mlp.up_proj", false);
            // SiLU(gate) * up, written out: gate * sigmoid(gate)
            NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up);
            x = x.add(linear(act, pre + "mlp.down_proj", false));
        }
        return rmsNorm(x, p.get("model.norm.weight"));
    }

    private NDArray attention(NDManager manager, NDArray x, String pre, NDArray[] cosSin, NDArray bias,
            KvCache cache, int layer, long b, long t) {
        int hq = cfg.numHeads();
        int hkv = cfg.numKvHeads();
        int d = cfg.headDim();
        int g = hq / hkv;
        boolean withBias = cfg.attentionBias();
        // q: [B, T, H, D] -> [B, H, T, D]; k, v: [B, Hkv, T, D]
        NDArray q = linear(x, pre + "q_proj", withBias).reshape(b, t, hq, d).transpose(0, 2, 1, 3);
        NDArray k = linear(x, pre + "k_proj", withBias).reshape(b, t, hkv, d).transpose(0, 2, 1, 3);
        NDArray v = linear(x, pre + "v_proj", withBias).reshape(b, t, hkv, d).transpose(0, 2, 1, 3);
        q = applyRope(q, cosSin);
        k = applyRope(k, cosSin);
        if (cache != null) {
            if (cache.keys(layer) != null) {
                k = cache.keys(layer).concat(k, 2);
                v = cache.values(layer).concat(v, 2);
            }
            cache.put(layer, k, v);
        }
        long s = k.getShape().get(2);
        // GQA without copying: query head h uses kv head h / g (HF repeat_kv order).
        NDArray q5 = q.reshape(b, hkv, g, t, d);
        NDArray k5 = k.expandDims(2);
        NDArray v5 = v.expandDims(2);
        NDArray scores = q5.matMul(k5.transpose(0, 1, 2, 4, 3)).mul(1.0 / Math.sqrt(d)).add(bias);
        NDArray out = scores.softmax(-1).matMul(v5); // [B, Hkv, G, T, D]
        out = out.reshape(b, hq, t, d).transpose(0, 2, 1, 3).reshape(b, t, (long) hq * d);
        return linear(out, pre + "o_proj", false);
    }

    /** Additive mask [B, 1, 1, T, S]: 0 where allowed, -1e9 for padding keys and future keys. */
    private static NDArray attentionBias(NDManager manager, NDArray keyMask, long past, long t) {
        long s = keyMask.getShape().get(1);
        if (s != past + t) {
            throw new IllegalArgumentException("keyMask covers " + s + " positions, expected cache " + past + " + new " + t);
        }
        NDArray keyIdx = manager.arange(0f, (float) s).reshape(1, s);
        NDArray qIdx = manager.arange((float) past, (float) (past + t)).reshape(t, 1);
        NDArray causal = keyIdx.lte(qIdx).toType(DataType.FLOAT32, false); // [T, S]
        NDArray allowed = causal.reshape(1, 1, 1, t, s).mul(keyMask.reshape(keyMask.getShape().get(0), 1, 1, 1, s));
        return allowed.sub(1f).mul(1e9f);
    }

    /** cos and sin [B, 1, T, D] for HF rotate_half RoPE. */
    private NDArray[] rope(NDManager manager, NDArray positions) {
        int d = cfg.headDim();
        float[] inv = new float[d / 2];
        for (int i = 0; i < d / 2; i++) inv[i] = (float) (1.0 / Math.pow(cfg.ropeTheta(), (2.0 * i) / d));
        NDArray invFreq = manager.create(inv).toDevice(positions.getDevice(), false);
        NDArray pos = positions.toType(DataType.FLOAT32, false);
        NDArray freqs = pos.expandDims(-1).mul(invFreq); // [B, T, D/2]
        NDArray emb = freqs.concat(freqs, -1).expandDims(1); // [B, 1, T, D]
        return new NDArray[] {emb.cos(), emb.sin()};
    }

    private static NDArray applyRope(NDArray x, NDArray[] cosSin) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = x2.neg().concat(x1, -1);
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }

    /** Ops on a parameter land in the parameters' manager; move such results next to x so each step frees them. */
    private static NDArray local(NDArray fromParam, NDArray x) {
        fromParam.attach(x.getManager());
        return fromParam;
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray var = x.square().mean(new int[] {-1}, true);
        return x.div(var.add((float) cfg.rmsNormEps()).sqrt()).mul(weight);
    }

    private NDArray linear(NDArray x, String name, boolean bias) {
        NDArray y = x.matMul(local(p.get(name + ".weight").transpose(), x));
        return bias ? y.add(p.get(name + ".bias")) : y;
    }
}
