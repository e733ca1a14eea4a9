package dev.ccpo.learner;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * PPO clipped surrogate with verl-style dual clip (docs/algorithm.md "Policy update").
 * Pure NDArray functions so the same code runs on CPU and CUDA and is differentiable
 * inside a GradientCollector: the clip() op has zero gradient outside [1-eps, 1+eps],
 * which is exactly what stops the update beyond the clip range.
 */
public final class PpoLoss {

    /** "turn": one ratio per turn (geometric mean of token ratios); "token": per-token ratios. */
    public enum ClipMode { TURN, TOKEN;
        public static ClipMode parse(String s) {
            try { return valueOf(s.trim().toUpperCase()); }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("clip.mode must be 'turn' or 'token', got '" + s + "'");
            }
        }
    }

    /** Loss settings; klCoef/entropyCoef 0 = off (the reference setting). */
    public record Settings(ClipMode mode, double eps, double dualClip, double klCoef, double entropyCoef) {
        public Settings {
            if (eps <= 0 || eps >= 1) throw new IllegalArgumentException("clip.eps must be in (0,1), got " + eps);
            if (dualClip <= 1) throw new IllegalArgumentException("clip.dual must be > 1, got " + dualClip);
        }
        public static Settings defaults() { return new Settings(ClipMode.TURN, 0.2, 3.0, 0.0, 0.0); }
    }

    /** Scalar loss (still attached to the graph) plus detached metrics. */
    public record Result(NDArray loss, double lossValue, double clipFraction, double approxKl, double meanAbsAdv) {}

    private PpoLoss() {}

    /**
     * @param newLp  [B,T] log-probs under the current policy (requires grad)
     * @param oldLp  [B,T] behaviour log-probs from the records
     * @param mask   [B,T] 1 for real completion tokens, 0 for padding
     * @param adv    [B] advantages, one per turn
     * @param refLp  [B,T] frozen reference log-probs or null (only used when klCoef > 0)
     */
    public static Result compute(NDArray newLp, NDArray oldLp, NDArray mask, NDArray adv, NDArray refLp, Settings s) {
        NDArray m = mask.toType(newLp.getDataType(), false);
        NDArray a = adv.toType(newLp.getDataType(), false);
        NDArray tokCount = m.sum(new int[] {1}).maximum(1f);              // [B], guards empty turns
        NDArray logRatio = newLp.sub(oldLp).mul(m);                       // [B,T], padding -> 0
        NDArray perTraj;                                                  // [B]
        NDArray clipped;                                                  // indicator of where clipping bites
        NDArray weightForFrac;                                            // how clip fraction is averaged
        if (s.mode() == ClipMode.TURN) {
            NDArray r = logRatio.sum(new int[] {1}).div(tokCount).exp(); // geometric mean of token ratios
            NDArray[] l = surrogate(r, a, s);
            perTraj = l[0];
            clipped = l[1];
            weightForFrac = null;
        } else {
            NDArray r = logRatio.exp();                                   // [B,T]
            NDArray[] l = surrogate(r, a.expandDims(1), s);
            perTraj = l[0].mul(m).sum(new int[] {1}).div(tokCount);      // average per trajectory
            clipped = l[1];
            weightForFrac = m;
        }
        NDArray loss = perTraj.mean();
        if (s.klCoef() > 0) {
            if (refLp == null) throw new IllegalArgumentException("kl.coef > 0 needs reference log-probs");
            // k3 estimator: exp(ref-new) - (ref-new) - 1 >= 0, unbiased for KL(new||ref)
            NDArray d = refLp.sub(newLp).mul(m);
            NDArray k3 = d.exp().sub(d).sub(1f).mul(m).sum(new int[] {1}).div(tokCount);
            loss = loss.add(k3.mean().mul((float) s.klCoef()));
        }
        if (s.entropyCoef() > 0) {
            // sampled-token entropy estimate -E[log p]; bonus -> subtract from loss
            NDArray ent = newLp.neg().mul(m).sum(new int[] {1}).div(tokCount);
            loss = loss.sub(ent.mean().mul((float) s.entropyCoef()));
        }
        double clipFrac;
        if (weightForFrac == null) {
            clipFrac = clipped.mean().getFloat();
        } else {
            clipFrac = clipped.mul(weightForFrac).sum().getFloat() / Math.max(1f, weightForFrac.sum().getFloat());
        }
        // approx KL(old||new) with k3 on the token log-ratio, detached
        NDArray lr = newLp.sub(oldLp).mul(m).stopGradient();
        NDArray k3old = lr.exp().sub(lr).sub(1f).mul(m);
        double approxKl = k3old.sum().getFloat() / Math.max(1f, m.sum().getFloat());
        double meanAbs = a.abs().mean().getFloat();
        return new Result(loss, loss.getFloat(), clipFrac, approxKl, meanAbs);
    }

    /**
     * verl dual clip: l = max(-A r, -A clip(r)); for A < 0 additionally min(l, -A c).
     * @return {loss per element, 1/0 indicator that clipping changed the value}
     */
    static NDArray[] surrogate(NDArray r, NDArray a, Settings s) {
        NDArray negA = a.neg();
        NDArray l1 = negA.mul(r);
        NDArray l2 = negA.mul(r.clip(1 - s.eps(), 1 + s.eps()));
        NDArray l = NDArrays.maximum(l1, l2);
        NDArray l3 = negA.mul((float) s.dualClip());
        NDArray dual = NDArrays.minimum(l, l3);
        NDArray neg = a.lt(0f);
        NDArray out = NDArrays.where(neg.broadcast(l.getShape()), dual, l);
        NDArray clippedInd = l2.gt(l1).logicalOr(neg.broadcast(l.getShape()).logicalAnd(l3.lt(l)))
                .toType(r.getDataType(), false);
        return new NDArray[] {out, clippedInd};
    }
}
