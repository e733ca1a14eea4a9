package dev.ccpo.credit;

import dev.ccpo.avro.CreditMode;
import dev.ccpo.credit.CreditMath.History;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The credit rule on numbers, against the reference (bhai114/ccpo CCPO-v1: historical_normalizer.py,
 * leave_one_out_rema.py, core_algos.compute_grpo_outcome_advantage), every expected number worked by hand below.
 * Tolerance 1e-3 where the hand arithmetic is rounded to 4 digits.
 */
class CreditRuleTest {
    static final double HAND = 1e-3;
    static final History[] EMPTY = {History.EMPTY, History.EMPTY, History.EMPTY};

    static CreditRule.Settings rule(CreditMode mode, boolean mask) { return new CreditRule.Settings(mode, 1.0, 1.0, 10, mask); }

    @Test
    void sigmaFloor_referenceExample_noSignFlips() {
        // History of StatsWindowTest.emaOverTwoClosedWindows, in the reference form: window A Delta = joint =
        // [1 x5, 0 x5] (mean .5, var .25), window B [1,1,1,1] (mean 1, var 0), d = .99:
        //   mu = .99*.5 + .01*1 = .505; m2 = .99*.25 + .01*0 = .2475; sigma = sqrt(.2475) = .497494; count 14.
        // Solo history: all zeros, m2 = 0 <= 1e-6 -> sigma = 1 (reference floor).
        History hD = new History(14, 0.505, 0.2475), hS = new History(14, 0, 0);
        // Group joint [1,1,0,0], solo [0,1,1,0]:
        //   z_joint = (1 - .505)/.497495 = .99499 ; (0 - .505)/.497495 = -1.01509
        //   z_solo  = s/(1 + 1e-6) = [0, 1, 1, 0]
        //   g = sigmoid(.505/.497495) = sigmoid(1.01509) = .73401
        //   r2 = g z_j + (1-g) z_s = [.73033, .73033 + .26599 = .99632, -.74509 + .26599 = -.47910, -.74509]
        //   mean .12562; deviations [.60472, .87071, -.60472, -.87071];
        //   std (n-1) = sqrt((2*.60472^2 + 2*.87071^2)/3) = sqrt(.74915) = .86554
        //   A2 = [.69866, 1.00597, -.69866, -1.00597]: the signs of the joint outcome, ordered by solo.
        // (Dividing by sigma + 1e-6 with sigma = 0 made z_solo = 1e6 dominate: A2 = [-.866, .866, .866, -.866].)
        CreditRule.Out o = CreditRule.thinkReason(new double[]{1, 1, 0, 0}, new double[]{0, 1, 1, 0}, null,
                new History[]{hD, hD, hS}, rule(CreditMode.CCPO, true));
        assertArrayEquals(new double[]{0.699, 1.006, -0.699, -1.006}, o.advantages()[1], HAND);
        assertEquals(0.73401, o.gate(), 1e-5);
        // Thinker: Delta = [1,0,-1,0]; r1 = tanh((Delta - .505)/.497495) = [tanh(.99499), tanh(-1.01509), tanh(-3.02516), tanh(-1.01509)]
        //   = [.75948, -.76786, -.99530, -.76786]; mean -.44288; deviations [1.20236, -.32498, -.55242, -.32498];
        //   std = sqrt((1.44567 + .10561 + .30517 + .10561)/3) = sqrt(.65402) = .80872 -> A1 = [1.4868, -.4018, -.6831, -.4018]
        assertArrayEquals(new double[]{1.4868, -0.4018, -0.6831, -0.4018}, o.advantages()[0], HAND);
        assertEquals(List.of("thinker", "reasoner"), o.roles());
    }

    @Test
    void warmUp_rawDeltaAndRawJoint_noTanhNoGate() {
        // Empty history (0 < 10 samples): reference returns agent1_deltas and agent2_joint_rewards unchanged.
        // joint [1,1,1,0], solo [0,0,1,0]:
        //   Reasoner r2 = joint = [1,1,1,0]: mean .75, std sqrt((3*.25^2 + .75^2)/3) = sqrt(.25) = .5
        //     -> A2 = [.25, .25, .25, -.75]/.5 = [.5, .5, .5, -1.5]
        //   Thinker r1 = Delta = [1,1,0,0]: mean .5, std sqrt(4*.25/3) = .57735 -> A1 = [.86603, .86603, -.86603, -.86603]
        // (With tanh and a gate of .5 the Reasoner got [0, 0, 1.2247, -1.2247].)
        CreditRule.Out o = CreditRule.thinkReason(new double[]{1, 1, 1, 0}, new double[]{0, 0, 1, 0}, null, EMPTY,
                rule(CreditMode.CCPO, true));
        assertArrayEquals(new double[]{1, 1, 1, 0}, o.shaped()[1], 0);
        assertArrayEquals(new double[]{1, 1, 0, 0}, o.shaped()[0], 0);
        assertArrayEquals(new double[]{0.5, 0.5, 0.5, -1.5}, o.advantages()[1], 1e-5);
        assertArrayEquals(new double[]{0.866, 0.866, -0.866, -0.866}, o.advantages()[0], HAND);
        assertNull(o.gate(), "no gate during warm-up");
        // history.warmup.samples is a setting: with 0 the shaping applies to the same empty history
        // (sigma 1, mu 0): r1 = tanh(Delta/(1+1e-6)), so the shaped rewards are no longer raw.
        CreditRule.Out shaped = CreditRule.thinkReason(new double[]{1, 1, 1, 0}, new double[]{0, 0, 1, 0}, null, EMPTY,
                new CreditRule.Settings(CreditMode.CCPO, 1, 1, 0, true));
        assertEquals(Math.tanh(1 / (1 + 1e-6)), shaped.shaped()[0][0], 1e-12);
    }

    @Test
    void warmUp_voters_rawContribution() {
        // Voters during warm-up get the raw c = R_joint - R_minus_k (as the Thinker's Delta), no tanh.
        // joint [1,0], voter 0 minus [0,0] -> c [1,0]; voter 1 minus [1,1] -> c [0,-1].
        CreditRule.Out o = CreditRule.voting(new double[]{1, 0}, new double[][]{{0, 0}, {1, 1}}, null, History.EMPTY,
                rule(CreditMode.CCPO, true));
        assertArrayEquals(new double[]{1, 0}, o.shaped()[0], 0);
        assertArrayEquals(new double[]{0, -1}, o.shaped()[1], 0);
        assertEquals(List.of("voter", "voter"), o.roles());
    }

    @Test
    void truncatedEpisode_everyAgentsRewardIsZeroBeforeGroupNormalization() {
        // Reference mask_unfinished_reward: the shaped reward of an unfinished turn is 0.0 (before GRPO).
        // joint [1,1,0,0], solo 0, episode 1 truncated, warm-up (raw values):
        //   r1 = Delta = [1,1,0,0] -> masked [1,0,0,0]; r2 = joint = [1,1,0,0] -> masked [1,0,0,0]
        //   mean .25, std sqrt((.75^2 + 3*.25^2)/3) = sqrt(.25) = .5 -> A = [1.5, -.5, -.5, -.5] for both.
        boolean[] trunc = {false, true, false, false};
        double[] joint = {1, 1, 0, 0}, solo = {0, 0, 0, 0};
        CreditRule.Out o = CreditRule.thinkReason(joint, solo, trunc, EMPTY, rule(CreditMode.CCPO, true));
        assertArrayEquals(new double[]{1.5, -0.5, -0.5, -0.5}, o.advantages()[0], 1e-5);
        assertArrayEquals(new double[]{1.5, -0.5, -0.5, -0.5}, o.advantages()[1], 1e-5);
        assertEquals(0.0, o.shaped()[0][1]);
        // credit.mask.truncated=false: credited like any other: [1,1,0,0] -> +-.86603.
        CreditRule.Out off = CreditRule.thinkReason(joint, solo, trunc, EMPTY, rule(CreditMode.CCPO, false));
        assertArrayEquals(new double[]{0.866, 0.866, -0.866, -0.866}, off.advantages()[0], HAND);
        // shared and voting are masked too: shared r = joint [1,1,0,0] -> [1,0,0,0]
        assertArrayEquals(new double[]{1.5, -0.5, -0.5, -0.5},
                CreditRule.thinkReason(joint, solo, trunc, EMPTY, rule(CreditMode.SHARED, true)).advantages()[1], 1e-5);
        assertArrayEquals(new double[]{0, 0}, CreditRule.voting(new double[]{1, 1}, new double[][]{{0, 0}}, new boolean[]{true, true},
                History.EMPTY, rule(CreditMode.CCPO, true)).shaped()[0], 0);
    }

    @Test
    void ccpoBonus_noBonusAtASoloBaselineOfExactlyHalf() {
        // ccpo-bonus: +-1 rewards; baseline = 2 * mean(solo) - 1; bonus +1 if joint right and baseline < 0,
        // -1 if joint wrong and baseline > 0, none at 0. No std division in the group normalization.
        // solo [1,0,0,1]: mean .5 -> baseline 0 -> no bonus: r1 = [1,-1,1,-1], mean 0 -> A1 = [1,-1,1,-1].
        double[] joint = {1, 0, 1, 0};
        CreditRule.Out tie = CreditRule.thinkReason(joint, new double[]{1, 0, 0, 1}, null, EMPTY, rule(CreditMode.CCPO_BONUS, true));
        assertArrayEquals(new double[]{1, -1, 1, -1}, tie.shaped()[0], 1e-12);
        assertArrayEquals(new double[]{1, -1, 1, -1}, tie.advantages()[0], 1e-12);
        // solo [1,0,0,0]: mean .25 -> baseline -.5 < 0 -> +1 bonus on right joints: r1 = [1.2,-1,1.2,-1], mean .1
        //   -> A1 = [1.1,-1.1,1.1,-1.1]; the Reasoner gets r2 = +-1 with no bonus.
        CreditRule.Out low = CreditRule.thinkReason(joint, new double[]{1, 0, 0, 0}, null, EMPTY, rule(CreditMode.CCPO_BONUS, true));
        assertArrayEquals(new double[]{1.1, -1.1, 1.1, -1.1}, low.advantages()[0], 1e-12);
        assertArrayEquals(new double[]{1, -1, 1, -1}, low.advantages()[1], 1e-12);
        // solo [1,1,1,0]: mean .75 -> baseline .5 > 0 -> -1 bonus on wrong joints: r1 = [1,-1.2,1,-1.2], mean -.1 -> [1.1,-1.1,1.1,-1.1]
        CreditRule.Out high = CreditRule.thinkReason(joint, new double[]{1, 1, 1, 0}, null, EMPTY, rule(CreditMode.CCPO_BONUS, true));
        assertArrayEquals(new double[]{1, -1.2, 1, -1.2}, high.shaped()[0], 1e-12);
    }

    @Test
    void mismatchedLengthsAreRefusedWithTheirCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CreditRule.thinkReason(
                new double[]{1, 0}, new double[]{1}, null, EMPTY, rule(CreditMode.CCPO, true)));
        assertTrue(e.getMessage().contains("1 episodes, joint 2"), e.getMessage());
    }
}
