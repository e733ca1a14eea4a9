package dev.ccpo.analytics;

import dev.ccpo.avro.AgentAdvantage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Does credit go where it belongs? Measured per credit mode and role over advantages whose turn has a known ground
 * truth ({@code AgentAdvantage.turnCorrect}):
 * <ul>
 *   <li><b>credit AUC</b>: over every pair of turns of one role in one group, one right and one wrong, the share
 *       where the right turn got the higher advantage (ties count half). 1 = credit always ranks a right turn
 *       above a wrong one, 0.5 = no better than chance;</li>
 *   <li><b>rewarded mistakes</b>: the share of wrong turns that got a positive advantage (free-riding rewarded);</li>
 *   <li><b>punished successes</b>: the share of right turns that got a negative advantage.</li>
 * </ul>
 * Incremental and exact: each advantage is paired with the earlier ones of its group and role as it arrives, so
 * records may come in any order. Open groups are kept for the last {@code maxOpenGroups} groups seen. Not
 * thread-safe; callers synchronize.
 */
public final class CreditQuality {
    /**
     * The counts of one (mode, role): turns judged, right and wrong, wrong turns with a positive advantage, right
     * turns with a negative one, (right, wrong) pairs within a group and the pairs the right turn won (ties half).
     * Counts of disjoint sets of groups add up ({@link #plus}).
     */
    public record Figures(String mode, String role, long right, long wrong, long wrongPositive, long rightNegative,
                          long pairs, double wins) {
        public long judged() { return right + wrong; }

        /** Credit AUC; NaN while no group had both a right and a wrong turn. */
        public double auc() { return pairs == 0 ? Double.NaN : wins / pairs; }

        /** Share of wrong turns with a positive advantage; NaN without wrong turns. */
        public double rewardedMistakes() { return wrong == 0 ? Double.NaN : (double) wrongPositive / wrong; }

        /** Share of right turns with a negative advantage; NaN without right turns. */
        public double punishedSuccesses() { return right == 0 ? Double.NaN : (double) rightNegative / right; }

        public Figures plus(Figures o) {
            return new Figures(mode, role, right + o.right, wrong + o.wrong, wrongPositive + o.wrongPositive,
                    rightNegative + o.rightNegative, pairs + o.pairs, wins + o.wins);
        }
    }

    private static final class Tally {
        long right, wrong, wrongPositive, rightNegative, pairs;
        double wins;
    }

    private record Judged(double advantage, boolean correct) {}

    private final Map<String, Tally> tallies = new TreeMap<>();
    private final Map<String, List<Judged>> openGroups;

    public CreditQuality() { this(10_000); }

    public CreditQuality(int maxOpenGroups) {
        this.openGroups = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, List<Judged>> eldest) { return size() > maxOpenGroups; }
        };
    }

    /** Counts one advantage; those without a ground truth are ignored. */
    public void add(AgentAdvantage a) {
        if (a.getTurnCorrect() == null) return;
        add(a.getCreditMode().name().toLowerCase(java.util.Locale.ROOT), a.getRole(), a.getGroupId(), a.getAdvantage(), a.getTurnCorrect());
    }

    void add(String mode, String role, String groupId, double advantage, boolean correct) {
        if (!Double.isFinite(advantage)) return;
        String key = mode + "\u0000" + role;
        Tally t = tallies.computeIfAbsent(key, k -> new Tally());
        if (correct) {
            t.right++;
            if (advantage < 0) t.rightNegative++;
        } else {
            t.wrong++;
            if (advantage > 0) t.wrongPositive++;
        }
        List<Judged> group = openGroups.computeIfAbsent(key + "\u0000" + groupId, k -> new ArrayList<>());
        for (Judged other : group) {
            if (other.correct() == correct) continue;
            double rightAdv = correct ? advantage : other.advantage();
            double wrongAdv = correct ? other.advantage() : advantage;
            t.pairs++;
            t.wins += rightAdv > wrongAdv ? 1 : rightAdv == wrongAdv ? 0.5 : 0;
        }
        group.add(new Judged(advantage, correct));
    }

    /** Per (mode, role), in mode then role order. */
    public List<Figures> figures() {
        List<Figures> out = new ArrayList<>();
        tallies.forEach((key, t) -> {
            String[] mr = key.split("\u0000");
            out.add(new Figures(mr[0], mr[1], t.right, t.wrong, t.wrongPositive, t.rightNegative, t.pairs, t.wins));
        });
        return out;
    }

    /**
     * Figures of disjoint sets of groups (e.g. one CreditQuality per policy version: a group has one version) added
     * up per (mode, role), in mode then role order.
     */
    public static List<Figures> sum(Iterable<List<Figures>> parts) {
        Map<String, Figures> total = new TreeMap<>();
        for (List<Figures> part : parts)
            for (Figures f : part) total.merge(f.mode() + "\u0000" + f.role(), f, Figures::plus);
        return new ArrayList<>(total.values());
    }

    /** "thinker AUC 0.81 (mistakes rewarded 12%, successes punished 4%), reasoner ..." or "" with nothing judged. */
    public String summary() { return summary(figures()); }

    public static String summary(List<Figures> figures) {
        List<String> parts = new ArrayList<>();
        for (Figures f : figures)
            parts.add(String.format(java.util.Locale.ROOT, "%s AUC %s (mistakes rewarded %s, successes punished %s)",
                    f.role(), fixed(f.auc()), percent(f.rewardedMistakes()), percent(f.punishedSuccesses())));
        return String.join(", ", parts);
    }

    private static String fixed(double x) { return Double.isNaN(x) ? "-" : String.format(java.util.Locale.ROOT, "%.2f", x); }

    private static String percent(double x) { return Double.isNaN(x) ? "-" : String.format(java.util.Locale.ROOT, "%.0f%%", 100 * x); }
}
