package dev.ccpo.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hand-written AdamW (decoupled weight decay, PyTorch semantics) over named parameters.
 * Written by hand rather than DJL's Optimizer so that the state is a plain map we can
 * checkpoint and restore exactly, and so gradient accumulation / clipping are explicit.
 * Usage per step: after each micro-batch backward call {@link #accumulate}, then {@link #step}.
 */
public final class AdamW {

    /** Keys: lr, adam.beta1, adam.beta2, adam.eps, weight.decay, lr.warmup.steps, grad.clip (<=0 = off). */
    public record Settings(double lr, double beta1, double beta2, double eps, double weightDecay,
                           int warmupSteps, double gradClip) {
        public Settings {
            if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
            if (beta1 < 0 || beta1 >= 1) throw new IllegalArgumentException("adam.beta1 must be in [0,1), got " + beta1);
            if (beta2 < 0 || beta2 >= 1) throw new IllegalArgumentException("adam.beta2 must be in [0,1), got " + beta2);
            if (warmupSteps < 0) throw new IllegalArgumentException("lr.warmup.steps must be >= 0, got " + warmupSteps);
        }
        public static Settings defaults(double lr) { return new Settings(lr, 0.9, 0.999, 1e-8, 0.0, 10, 1.0); }
    }

    /** What a step did, for the per-step log line. gradNorm is before clipping. */
    public record StepInfo(long step, double lr, double gradNorm, int microBatches) {}

    private final Settings s;
    private final NDManager manager;
    private final Map<String, NDArray> m = new TreeMap<>();
    private final Map<String, NDArray> v = new TreeMap<>();
    private final Map<String, NDArray> acc = new TreeMap<>();
    private int micro;
    private long step;

    public AdamW(Settings s, NDManager manager) {
        this.s = s;
        this.manager = manager;
    }

    public long stepCount() { return step; }

    /** Linear warm-up: step k (1-based) uses lr * min(1, k / warmup). */
    public double learningRate(long k) {
        if (s.warmupSteps() <= 0) return s.lr();
        return s.lr() * Math.min(1.0, (double) k / s.warmupSteps());
    }

    /** Adds the current gradients of the params (after backward) to the accumulation buffers. */
    public void accumulate(Map<String, NDArray> params) {
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray live = e.getValue().getGradient();
            NDArray g = live.duplicate();
            g.detach();
            g.attach(manager);
            // PyTorch accumulates .grad across backward calls; zero it so each micro-batch counts once
            live.muli(0f);
            NDArray prev = acc.get(e.getKey());
            if (prev == null) {
                acc.put(e.getKey(), g);
            } else {
                prev.addi(g);
                g.close();
            }
        }
        micro++;
    }

    /** Averages accumulated gradients, clips the global norm, applies one AdamW update in place. */
    public StepInfo step(Map<String, NDArray> params) {
        if (micro == 0) throw new IllegalStateException("AdamW.step called without accumulate()");
        step++;
        double sq = 0;
        for (NDArray g : acc.values()) {
            g.divi((float) micro);
            sq += g.square().sum().getFloat();
        }
        double norm = Math.sqrt(sq);
        float scale = (s.gradClip() > 0 && norm > s.gradClip()) ? (float) (s.gradClip() / (norm + 1e-6)) : 1f;
        double lr = learningRate(step);
        float b1 = (float) s.beta1(), b2 = (float) s.beta2();
        float bc1 = (float) (1 - Math.pow(s.beta1(), step));
        float bc2 = (float) (1 - Math.pow(s.beta2(), step));
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            NDArray g = acc.get(name);
            if (g == null) continue; // parameter not trained this step (frozen role)
            if (scale != 1f) g.muli(scale);
            NDArray mi = m.computeIfAbsent(name, k -> manager.zeros(p.getShape(), p.getDataType()));
            NDArray vi = v.computeIfAbsent(name, k -> manager.zeros(p.getShape(), p.getDataType()));
            mi.muli(b1).addi(g.mul(1 - b1));
            vi.muli(b2).addi(g.square().mul(1 - b2));
            NDArray update = mi.div(bc1).div(vi.div(bc2).sqrt().add((float) s.eps()));
            NDArray nextP = p.mul((float) (1 - lr * s.weightDecay())).sub(update.mul((float) lr));
            p.set(nextP.toType(p.getDataType(), false).toByteBuffer());
            update.close();
            nextP.close();
        }
        for (NDArray g : acc.values()) g.close();
        acc.clear();
        int mb = micro;
        micro = 0;
        return new StepInfo(step, lr, norm, mb);
    }

    private static final int MAGIC = 0xADA3_0001;

    /** Writes step count and moments (float32, sorted by name) for a checkpoint. */
    public void save(DataOutputStream out) throws IOException {
        out.writeInt(MAGIC);
        out.writeLong(step);
        out.writeInt(m.size());
        for (String name : m.keySet()) {
            out.writeUTF(name);
            writeArray(out, m.get(name));
            writeArray(out, v.get(name));
        }
    }

    /** Restores the state written by {@link #save}; any pending accumulation is discarded. */
    public void load(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC) throw new IOException("optimizer state: bad magic, not an AdamW state file");
        for (NDArray a : m.values()) a.close();
        for (NDArray a : v.values()) a.close();
        m.clear();
        v.clear();
        acc.values().forEach(NDArray::close);
        acc.clear();
        micro = 0;
        step = in.readLong();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            m.put(name, readArray(in));
            v.put(name, readArray(in));
        }
    }

    /** Read-only view of first moments (tests, diagnostics). */
    public Map<String, NDArray> firstMoments() { return new LinkedHashMap<>(m); }

    private static void writeArray(DataOutputStream out, NDArray a) throws IOException {
        long[] shape = a.getShape().getShape();
        out.writeInt(shape.length);
        for (long d : shape) out.writeLong(d);
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        out.writeInt(f.length);
        for (float x : f) out.writeFloat(x);
    }

    private NDArray readArray(DataInputStream in) throws IOException {
        int rank = in.readInt();
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = in.readLong();
        int len = in.readInt();
        float[] f = new float[len];
        for (int i = 0; i < len; i++) f[i] = in.readFloat();
        return manager.create(f, new Shape(shape));
    }
}
