package dev.ccpo.policy.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Compares the NDArray decoder against a naive scalar implementation of the HF Qwen2/Llama formulas. */
class TransformerReferenceTest {

    @Test
    void logitsMatchScalarReferenceWithGqaBiasRopeAndUntiedHead() {
        ModelConfig c = new ModelConfig("qwen2", CharTokenizer.VOCAB, 16, 2, 4, 2, 24, 100.0, 1e-6, false, true, 64);
        int[] toks = {3, 7, 1, 9, 4};
        try (CausalLM m = CausalLM.init(c, new CharTokenizer(), 21, Device.cpu()); NDManager nd = NDManager.newBaseManager(Device.cpu())) {
            // non-trivial biases and norm weights, so the reference checks them too
            m.parameters().forEach((k, v) -> {
                if (k.endsWith(".bias") || k.endsWith("norm.weight")) v.addi(nd.randomNormal(v.getShape()).mul(0.3f));
            });
            Map<String, float[]> w = new java.util.HashMap<>();
            m.parameters().forEach((k, v) -> w.put(k, v.toFloatArray()));
            long[] t = new long[toks.length];
            long[] pos = new long[toks.length];
            float[] mask = new float[toks.length];
            for (int i = 0; i < toks.length; i++) {
                t[i] = toks[i];
                pos[i] = i;
                mask[i] = 1f;
            }
            Shape s = new Shape(1, toks.length);
            float[] got = m.transformer().forward(nd, nd.create(t, s), nd.create(pos, s), nd.create(mask, s), null).toFloatArray();
            double[][] ref = reference(c, w, toks);
            for (int i = 0; i < toks.length; i++) {
                for (int v = 0; v < c.vocabSize(); v++) {
                    assertEquals(ref[i][v], got[i * c.vocabSize() + v], 1e-4, "position " + i + " vocab " + v);
                }
            }
        }
    }

    static double[][] reference(ModelConfig c, Map<String, float[]> w, int[] toks) {
        int n = toks.length;
        int h = c.hiddenSize();
        int d = c.headDim();
        double[][] x = new double[n][h];
        for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) x[i][j] = w.get("model.embed_tokens.weight")[toks[i] * h + j];
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] a = norm(x, w.get(p + "input_layernorm.weight"), c.rmsNormEps());
            double[][] q = lin(a, w.get(p + "self_attn.q_proj.weight"), w.get(p + "self_attn.q_proj.bias"), c.numHeads() * d);
            double[][] k = lin(a, w.get(p + "self_attn.k_proj.weight"), w.get(p + "self_attn.k_proj.bias"), c.numKvHeads() * d);
            double[][] v = lin(a, w.get(p + "self_attn.v_proj.weight"), w.get(p + "self_attn.v_proj.bias"), c.numKvHeads() * d);
            rope(q, c.numHeads(), d, c.ropeTheta());
            rope(k, c.numKvHeads(), d, c.ropeTheta());
            double[][] o = new double[n][c.numHeads() * d];
            int group = c.numHeads() / c.numKvHeads();
            for (int hd = 0; hd < c.numHeads(); hd++) {
                int kh = hd / group; // HF repeat_kv
                for (int i = 0; i < n; i++) {
                    double[] sc = new double[i + 1];
                    double max = -1e300;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q[i][hd * d + e] * k[j][kh * d + e];
                        sc[j] = dot / Math.sqrt(d);
                        max = Math.max(max, sc[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) z += (sc[j] = Math.exp(sc[j] - max));
                    for (int j = 0; j <= i; j++) for (int e = 0; e < d; e++) o[i][hd * d + e] += sc[j] / z * v[j][kh * d + e];
                }
            }
            add(x, lin(o, w.get(p + "self_attn.o_proj.weight"), null, h));
            double[][] mm = norm(x, w.get(p + "post_attention_layernorm.weight"), c.rmsNormEps());
            double[][] g = lin(mm, w.get(p + "mlp.gate_proj.weight"), null, c.intermediateSize());
            double[][] u = lin(mm, w.get(p + "mlp.up_proj.weight"), null, c.intermediateSize());
            for (int i = 0; i < n; i++) for (int j = 0; j < g[i].length; j++) g[i][j] = g[i][j] / (1 + Math.exp(-g[i][j])) * u[i][j];
            add(x, lin(g, w.get(p + "mlp.down_proj.weight"), null, h));
        }
        return lin(norm(x, w.get("model.norm.weight"), c.rmsNormEps()), w.get("lm_head.weight"), null, c.vocabSize());
    }

    /** HF rotate_half: pairs (e, e + d/2) rotate by position * theta^(-2e/d). */
    static void rope(double[][] x, int heads, int d, double theta) {
        for (int i = 0; i < x.length; i++) {
            for (int hd = 0; hd < heads; hd++) {
                for (int e = 0; e < d / 2; e++) {
                    double ang = i / Math.pow(theta, 2.0 * e / d);
                    double a = x[i][hd * d + e];
                    double b = x[i][hd * d + e + d / 2];
                    x[i][hd * d + e] = a * Math.cos(ang) - b * Math.sin(ang);
                    x[i][hd * d + e + d / 2] = b * Math.cos(ang) + a * Math.sin(ang);
                }
            }
        }
    }

    static double[][] norm(double[][] x, float[] wt, double eps) {
        double[][] out = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (double v : x[i]) ms += v * v;
            double r = 1 / Math.sqrt(ms / x[i].length + eps);
            for (int j = 0; j < x[i].length; j++) out[i][j] = x[i][j] * r * wt[j];
        }
        return out;
    }

    static double[][] lin(double[][] x, float[] wt, float[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int j = 0; j < in; j++) s += x[i][j] * wt[o * in + j];
                y[i][o] = s;
            }
        }
        return y;
    }

    static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) for (int j = 0; j < x[i].length; j++) x[i][j] += y[i][j];
    }
}
