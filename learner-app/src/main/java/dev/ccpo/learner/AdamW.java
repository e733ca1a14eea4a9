package dev.ccpo.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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

    /** What a step did, for the per-step log line. gradNorm is before clipping; skipped: why nothing changed, or null. */
    public record StepInfo(long step, double lr, double gradNorm, int microBatches, String skipped) {}

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
            // PyTorch accumulates .grad across backward calls; zero it so each micro-batch counts once. Assign, not
            // multiply: NaN * 0 is NaN, and one non-finite gradient would otherwise poison every later step.
            live.set(new NDIndex("..."), 0f);
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

    /**
     * Averages accumulated gradients, clips the global norm, applies one AdamW update. Nothing changes (weights,
     * moments, step count) unless the gradient norm and every updated weight are finite: the update is staged first,
     * checked, then committed; otherwise the accumulation is dropped and {@link StepInfo#skipped()} says why.
     */
    public StepInfo step(Map<String, NDArray> params) {
        if (micro == 0) throw new IllegalStateException("AdamW.step called without accumulate()");
        int mb = micro;
        double sq = 0;
        for (NDArray g : acc.values()) {
            g.divi((float) micro);
            try (NDArray g2 = g.square(); NDArray sum = g2.sum()) {
                sq += sum.getFloat();
            }
        }
        double norm = Math.sqrt(sq);
        long k = step + 1;
        double lr = learningRate(k);
        if (!Double.isFinite(norm)) {
            discard();
            return new StepInfo(step, lr, norm, mb, "gradient norm is " + norm);
        }
        float scale = (s.gradClip() > 0 && norm > s.gradClip()) ? (float) (s.gradClip() / (norm + 1e-6)) : 1f;
        float b1 = (float) s.beta1(), b2 = (float) s.beta2();
        float bc1 = (float) (1 - Math.pow(s.beta1(), k));
        float bc2 = (float) (1 - Math.pow(s.beta2(), k));
        Map<String, NDArray[]> staged = new LinkedHashMap<>();  // name -> {m', v', p'}
        String bad = null;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            NDArray g = acc.get(name);
            if (g == null) continue; // parameter not trained this step (frozen role)
            if (scale != 1f) g.muli(scale);
            NDArray mi = m.get(name), vi = v.get(name);
            NDArray newM, newV;
            try (NDArray gm = g.mul(1 - b1); NDArray g2 = g.square(); NDArray gv = g2.mul(1 - b2)) {
                newM = mi == null ? gm.duplicate() : mi.mul(b1).addi(gm);
                newV = vi == null ? gv.duplicate() : vi.mul(b2).addi(gv);
            }
            NDArray nextP;
            try (NDArray mh = newM.div(bc1); NDArray vh = newV.div(bc2); NDArray vs = vh.sqrt(); NDArray den = vs.add((float) s.eps());
                 NDArray update = mh.div(den); NDArray step1 = update.mul((float) lr); NDArray decayed = p.mul((float) (1 - lr * s.weightDecay()))) {
                nextP = decayed.sub(step1);
            }
            staged.put(name, new NDArray[]{newM, newV, nextP});
            if (bad == null && !finite(nextP)) bad = name;
        }
        if (bad != null) {
            for (NDArray[] x : staged.values()) for (NDArray a : x) a.close();
            discard();
            return new StepInfo(step, lr, norm, mb, "the update would make tensor " + bad + " non-finite");
        }
        for (Map.Entry<String, NDArray[]> e : staged.entrySet()) {
            NDArray[] x = e.getValue();
            NDArray oldM = m.put(e.getKey(), x[0]), oldV = v.put(e.getKey(), x[1]);
            if (oldM != null) oldM.close();
            if (oldV != null) oldV.close();
            NDArray p = params.get(e.getKey());
            p.set(x[2].toType(p.getDataType(), false).toByteBuffer());
            x[2].close();
        }
        discard();
        step = k;
        return new StepInfo(step, lr, norm, mb, null);
    }

    /** Why the accumulated gradients could not be stepped (their global norm is not finite), or null. */
    public String accumulatedNormProblem() {
        double sq = 0;
        for (NDArray g : acc.values()) {
            try (NDArray g2 = g.square(); NDArray sum = g2.sum()) {
                sq += sum.getFloat();
            }
        }
        return Double.isFinite(sq) ? null : "gradient norm is " + Math.sqrt(sq);
    }

    /** Drops the accumulated gradients (a skipped step). */
    public void discard() {
        for (NDArray g : acc.values()) g.close();
        acc.clear();
        micro = 0;
    }

    private static boolean finite(NDArray a) {
        try (NDArray nan = a.isNaN(); NDArray inf = a.isInfinite(); NDArray badValues = nan.logicalOr(inf); NDArray any = badValues.any()) {
            return !any.getBoolean();
        }
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
