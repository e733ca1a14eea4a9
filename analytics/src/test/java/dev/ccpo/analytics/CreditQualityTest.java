package dev.ccpo.analytics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CreditQualityTest {

    @Test
    void handWorkedGroups() {
        CreditQuality q = new CreditQuality();
        // g1: right +1.0, wrong -1.0, wrong +0.5, right -0.2. Pairs (right, wrong): (1,-1) win, (1,0.5) win,
        // (-0.2,-1) win, (-0.2,0.5) loss -> 3 of 4.
        q.add("ccpo", "thinker", "g1", 1.0, true);
        q.add("ccpo", "thinker", "g1", -1.0, false);
        q.add("ccpo", "thinker", "g1", 0.5, false);
        q.add("ccpo", "thinker", "g1", -0.2, true);
        // g2: a tie counts half -> 3.5 of 5 = 0.7 over both groups. A turn of g3 alone has no pair.
        q.add("ccpo", "thinker", "g2", 0.0, true);
        q.add("ccpo", "thinker", "g2", 0.0, false);
        q.add("ccpo", "thinker", "g3", 2.0, false);
        CreditQuality.Figures f = q.figures().get(0);
        assertEquals(7, f.judged());
        assertEquals(3, f.right());
        assertEquals(5, f.pairs());
        assertEquals(0.7, f.auc(), 1e-12);
        // wrong: -1, +0.5, 0.0, +2.0 -> 2 of 4 positive; right: +1, -0.2, 0.0 -> 1 of 3 negative
        assertEquals(0.5, f.rewardedMistakes(), 1e-12);
        assertEquals(1.0 / 3, f.punishedSuccesses(), 1e-12);
        assertEquals("thinker AUC 0.70 (mistakes rewarded 50%, successes punished 33%)", q.summary());
    }

    @Test
    void rolesAndModesAreSeparateAndPairsNeverCrossGroups() {
        CreditQuality q = new CreditQuality();
        q.add("ccpo", "reasoner", "g1", 1.0, true);
        q.add("shared", "reasoner", "g1", -1.0, false);
        q.add("ccpo", "thinker", "g1", -1.0, false);
        q.add("ccpo", "reasoner", "g2", -1.0, false);
        assertEquals(3, q.figures().size());
        q.figures().forEach(f -> assertTrue(Double.isNaN(f.auc()), f.toString()));
    }

    @Test
    void arrivalOrderDoesNotChangeTheFigures() {
        Random random = new Random(42);
        List<Object[]> records = new ArrayList<>();
        for (int g = 0; g < 30; g++)
            for (int k = 0; k < 8; k++) {
                boolean right = random.nextBoolean();
                records.add(new Object[]{"g" + g, (right ? 0.4 : -0.1) + random.nextGaussian(), right});
            }
        CreditQuality inOrder = new CreditQuality();
        records.forEach(r -> inOrder.add("ccpo", "voter", (String) r[0], (double) r[1], (boolean) r[2]));
        Collections.shuffle(records, random);
        CreditQuality shuffled = new CreditQuality();
        records.forEach(r -> shuffled.add("ccpo", "voter", (String) r[0], (double) r[1], (boolean) r[2]));
        assertEquals(inOrder.figures().get(0).auc(), shuffled.figures().get(0).auc(), 1e-12);
        assertTrue(inOrder.figures().get(0).auc() > 0.5, "right turns were given higher advantages on average");
    }

    @Test
    void figuresOfDisjointGroupsAddUpToTheFiguresOfAll() {
        CreditQuality all = new CreditQuality(), v1 = new CreditQuality(), v2 = new CreditQuality();
        Object[][] records = {{"g1", 1.0, true}, {"g1", -1.0, false}, {"g1", 0.5, false}, {"g2", 0.0, true}, {"g2", 0.0, false}};
        for (Object[] r : records) {
            all.add("ccpo", "thinker", (String) r[0], (double) r[1], (boolean) r[2]);
            (r[0].equals("g1") ? v1 : v2).add("ccpo", "thinker", (String) r[0], (double) r[1], (boolean) r[2]);
        }
        v2.add("ccpo", "reasoner", "g2", 1.0, true);
        List<CreditQuality.Figures> sum = CreditQuality.sum(List.of(v1.figures(), v2.figures()));
        assertEquals(2, sum.size());
        assertEquals("reasoner", sum.get(0).role());
        assertEquals(all.figures().get(0), sum.get(1));
        assertEquals(2.5 / 3, sum.get(1).auc(), 1e-12);
    }

    @Test
    void signsAreComparedWithTheSharedRewardOnceTheGroupIsWhole() {
        CreditQuality q = new CreditQuality();
        // A group of 3 episodes x 2 agents (6 records). R_joint 1, 1, 0: mean 2/3, so the shared reward's signs are
        // +, +, - for both agents of each episode.
        // thinker: t1 +0.5 (agrees), t2 -0.3 (flipped), t3 +0.2 (flipped); reasoner: t1 +1 (agrees), t2 0.0 (not
        // compared: zero advantage), t3 -1 (agrees).
        Object[][] records = {{"thinker", "t1", 1.0, 0.5}, {"thinker", "t2", 1.0, -0.3}, {"thinker", "t3", 0.0, 0.2},
                {"reasoner", "t1", 1.0, 1.0}, {"reasoner", "t2", 1.0, 0.0}};
        for (Object[] r : records)
            q.compareSigns("ccpo", (String) r[0], "g1", 6, (String) r[1], (double) r[2], (double) r[3]);
        assertTrue(q.figures().isEmpty(), "nothing is compared before the group is whole");
        q.compareSigns("ccpo", "reasoner", "g1", 6, "t3", 0.0, -1.0);
        CreditQuality.Figures reasoner = q.figures().get(0), thinker = q.figures().get(1);
        assertEquals(2, reasoner.signsCompared());
        assertEquals(0.0, reasoner.signFlips(), 1e-12);
        assertEquals(3, thinker.signsCompared());
        assertEquals(2.0 / 3, thinker.signFlips(), 1e-12);
        // A group where every episode got the same reward: the shared reward gives no sign, nothing is compared.
        q.compareSigns("ccpo", "thinker", "g2", 2, "u1", 1.0, 0.4);
        q.compareSigns("ccpo", "thinker", "g2", 2, "u2", 1.0, -0.4);
        assertEquals(3, q.figures().get(1).signsCompared());
        assertEquals("reasoner AUC - (mistakes rewarded -, successes punished -, signs flipped 0%), "
                + "thinker AUC - (mistakes rewarded -, successes punished -, signs flipped 67%)", q.summary());
    }
}
