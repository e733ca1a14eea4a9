package dev.ccpo.credit;

import dev.ccpo.avro.CreditMode;
import dev.ccpo.config.Roles;
import dev.ccpo.credit.CreditMath.History;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The credit rule of one group on numbers alone (docs/algorithm.md, reference forms): shaped rewards r and
 * group-normalized advantages A per agent and episode. The topology ({@link GroupCredit}) and the
 * {@code credit} command ({@link CreditCommand}) both call this, so they compute the same thing.
 */
public final class CreditRule {
    private CreditRule() { }

    /** The rule's settings: credit.mode, credit.alpha, credit.eta, history.warmup.samples, credit.mask.truncated. */
    public record Settings(CreditMode mode, double alpha, double eta, long warmupSamples, boolean maskTruncated) { }

    /**
     * Result, agents in agentId order: roles[i], shaped[i][k] = r of agent i in episode k, advantages[i][k] = A,
     * gate = the Reasoner gate g when it was applied (ccpo, THINK_REASON, after warm-up), else null.
     */
    public record Out(List<String> roles, double[][] shaped, double[][] advantages, Double gate) { }

    /**
     * THINK_REASON: agent 0 the Thinker, agent 1 the Reasoner. joint[k] = R_joint,k, solo[k] = R_solo,k;
     * truncated[k]: episode k has a turn that hit the length limit; h = {Delta, joint, solo} histories.
     * ccpo: Thinker r = tanh(alpha z_Delta), Reasoner r = g z_joint + (1-g) z_solo with g = sigmoid(eta mu_Delta/(sigma_Delta+eps));
     * below history.warmup.samples (reference: historical_normalizer.normalize_agent1/2_rewards) the Thinker's r is the raw
     * Delta and the Reasoner's the raw R_joint: no tanh, no gate.
     */
    public static Out thinkReason(double[] joint, double[] solo, boolean[] truncated, History[] h, Settings s) {
        int n = joint.length;
        if (solo.length != n) throw new IllegalArgumentException("counterfactual has " + solo.length + " episodes, joint " + n);
        History hD = h[0], hJ = h[1], hS = h[2];
        double[] r1 = new double[n], r2 = new double[n];
        Double gate = null;
        switch (s.mode()) {
            case CCPO -> {
                boolean warmThinker = hD.warmingUp(s.warmupSamples()), warmReasoner = hJ.warmingUp(s.warmupSamples());
                double g = CreditMath.gate(hD, s.eta());
                if (!warmReasoner) gate = g;
                for (int k = 0; k < n; k++) {
                    double delta = joint[k] - solo[k];
                    r1[k] = warmThinker ? delta : Math.tanh(s.alpha() * hD.z(delta));
                    r2[k] = warmReasoner ? joint[k] : g * hJ.z(joint[k]) + (1 - g) * hS.z(solo[k]);
                }
            }
            case CCPO_BONUS -> {
                // Rewards on the +/-1 scale; solo baseline = the group's mean solo reward on that scale, 2 mean - 1:
                // bonus +1 if the joint answer is right and the baseline < 0, -1 if wrong and the baseline > 0,
                // none at a baseline of exactly 0 (mean solo reward 0.5).
                double base = 2 * CreditMath.mean(solo) - 1;
                for (int k = 0; k < n; k++) {
                    boolean right = joint[k] > 0.5;
                    double bonus = right && base < 0 ? 1 : !right && base > 0 ? -1 : 0;
                    double pm = right ? 1 : -1;
                    r1[k] = pm + 0.2 * bonus;
                    r2[k] = pm;
                }
            }
            case SHARED -> {
                for (int k = 0; k < n; k++) { r1[k] = joint[k]; r2[k] = joint[k]; }
            }
        }
        return finish(List.of(Roles.THINKER, Roles.REASONER), new double[][]{r1, r2}, truncated, s, gate);
    }

    /**
     * VOTING: minus[v][k] = R without voter v in episode k; c = R_joint - R_minus_v with one history of c pooled
     * over voters. ccpo: r = tanh(alpha z_c), or the raw c during warm-up (as the Thinker's Delta).
     */
    public static Out voting(double[] joint, double[][] minus, boolean[] truncated, History hC, Settings s) {
        int n = joint.length, voters = minus.length;
        double[][] r = new double[voters][n];
        boolean warm = hC.warmingUp(s.warmupSamples());
        for (int v = 0; v < voters; v++) {
            if (minus[v].length != n)
                throw new IllegalArgumentException("counterfactual of voter " + v + " has " + minus[v].length + " episodes, joint " + n);
            for (int k = 0; k < n; k++) {
                double c = joint[k] - minus[v][k];
                r[v][k] = switch (s.mode()) {
                    case CCPO -> warm ? c : Math.tanh(s.alpha() * hC.z(c));
                    case CCPO_BONUS -> (joint[k] > 0.5 ? 1 : -1) + 0.2 * Math.signum(c);
                    case SHARED -> joint[k];
                };
            }
        }
        return finish(Collections.nCopies(voters, Roles.VOTER), r, truncated, s, null);
    }

    /**
     * Truncation mask (reference: mask_unfinished_reward): every agent's r of an episode with a truncated turn is 0,
     * when credit.mask.truncated; then GRPO group normalization per agent (ccpo-bonus: without dividing by the std).
     */
    private static Out finish(List<String> roles, double[][] r, boolean[] truncated, Settings s, Double gate) {
        int n = r[0].length;
        if (truncated != null && truncated.length != n)
            throw new IllegalArgumentException("truncated has " + truncated.length + " episodes, joint " + n);
        if (s.maskTruncated() && truncated != null) {
            for (double[] ri : r) for (int k = 0; k < ri.length; k++) if (truncated[k]) ri[k] = 0;
        }
        boolean divide = s.mode() != CreditMode.CCPO_BONUS;
        double[][] a = new double[r.length][];
        for (int i = 0; i < r.length; i++) a[i] = CreditMath.groupNormalize(r[i], divide);
        return new Out(new ArrayList<>(roles), r, a, gate);
    }
}
