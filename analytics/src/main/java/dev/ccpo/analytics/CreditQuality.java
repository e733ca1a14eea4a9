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
 *   <li><b>punished successes</b>: the share of right turns that got a negative advantage;</li>
 *   <li><b>sign flips against the shared reward</b>: over all advantages of whole groups (ground truth or not), the
 *       share whose sign is opposite to the one the shared reward would give the same turn, sign(R_joint − the
 *       group's mean R_joint), counting turns where both are non-zero. 0 for the shared mode itself; for ccpo, how
 *       often the counterfactual overturned the team's verdict on an agent.</li>
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
                          long pairs, double wins, long signsCompared, long signsFlipped) {
        public long judged() { return right + wrong; }

        /** Credit AUC; NaN while no group had both a right and a wrong turn. */
        public double auc() { return pairs == 0 ? Double.NaN : wins / pairs; }

        /** Share of wrong turns with a positive advantage; NaN without wrong turns. */
        public double rewardedMistakes() { return wrong == 0 ? Double.NaN : (double) wrongPositive / wrong; }

        /** Share of right turns with a negative advantage; NaN without right turns. */
        public double punishedSuccesses() { return right == 0 ? Double.NaN : (double) rightNegative / right; }

        /** Share of compared advantages whose sign is opposite to the shared reward's; NaN before any was compared. */
        public double signFlips() { return signsCompared == 0 ? Double.NaN : (double) signsFlipped / signsCompared; }

        public Figures plus(Figures o) {
            return new Figures(mode, role, right + o.right, wrong + o.wrong, wrongPositive + o.wrongPositive,
                    rightNegative + o.rightNegative, pairs + o.pairs, wins + o.wins, signsCompared + o.signsCompared,
                    signsFlipped + o.signsFlipped);
        }
    }

    private static final class Tally {
        long right, wrong, wrongPositive, rightNegative, pairs, signsCompared, signsFlipped;
        double wins;
    }

    private record Judged(double advantage, boolean correct) {}

    /** One advantage of a group still being collected for the sign comparison. */
    private record Signed(String role, String trajectoryId, double reward, double advantage) {}

    private final Map<String, Tally> tallies = new TreeMap<>();
    private final Map<String, List<Judged>> openGroups;
    private final Map<String, List<Signed>> signGroups;  // mode + groupId -> its advantages until the group is whole

    public CreditQuality() { this(10_000); }

    public CreditQuality(int maxOpenGroups) {
        this.openGroups = boundedMap(maxOpenGroups);
        this.signGroups = boundedMap(maxOpenGroups);
    }

    private static <V> Map<String, V> boundedMap(int max) {
        return new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) { return size() > max; }
        };
    }

    /** Counts one advantage: in the sign comparison once its group is whole, and in the rest if its turn was judged. */
    public void add(AgentAdvantage a) {
        String mode = a.getCreditMode().name().toLowerCase(java.util.Locale.ROOT);
        compareSigns(mode, a.getRole(), a.getGroupId(), a.getGroupRecordCount(), a.getTrajectoryId(), a.getReward(),
                a.getAdvantage());
        if (a.getTurnCorrect() == null) return;
        add(mode, a.getRole(), a.getGroupId(), a.getAdvantage(), a.getTurnCorrect());
    }

    /**
     * Collects a group's advantages until it holds {@code wholeGroup} of them (AgentAdvantage.groupRecordCount; 0 =
     * unknown, not compared), then compares each one's sign with sign(R_joint − the group's mean R_joint).
     */
    void compareSigns(String mode, String role, String groupId, int wholeGroup, String trajectoryId, double reward,
                      double advantage) {
        if (wholeGroup <= 0 || !Double.isFinite(advantage) || !Double.isFinite(reward)) return;
        String key = mode + "\u0000" + groupId;
        List<Signed> group = signGroups.computeIfAbsent(key, k -> new ArrayList<>());
        group.add(new Signed(role, trajectoryId, reward, advantage));
        if (group.size() < wholeGroup) return;
        signGroups.remove(key);
        Map<String, Double> rewards = new LinkedHashMap<>();  // one R_joint per episode, however many agents it has
        for (Signed x : group) rewards.put(x.trajectoryId(), x.reward());
        double mean = rewards.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        for (Signed x : group) {
            double diff = x.reward() - mean;
            int shared = Math.abs(diff) <= 1e-12 ? 0 : (int) Math.signum(diff);
            int own = (int) Math.signum(x.advantage());
            if (shared == 0 || own == 0) continue;
            Tally t = tally(mode, x.role());
            t.signsCompared++;
            if (own != shared) t.signsFlipped++;
        }
    }

    private Tally tally(String mode, String role) { return tallies.computeIfAbsent(mode + "\u0000" + role, k -> new Tally()); }

    void add(String mode, String role, String groupId, double advantage, boolean correct) {
        if (!Double.isFinite(advantage)) return;
        String key = mode + "\u0000" + role;
        Tally t = tally(mode, role);
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
            out.add(new Figures(mr[0], mr[1], t.right, t.wrong, t.wrongPositive, t.rightNegative, t.pairs, t.wins,
                    t.signsCompared, t.signsFlipped));
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

    /**
     * "thinker AUC 0.81 (mistakes rewarded 12%, successes punished 4%, signs flipped 9%), reasoner ..." or "" with
     * nothing judged; the flips part only once signs were compared.
     */
    public String summary() { return summary(figures()); }

    public static String summary(List<Figures> figures) {
        List<String> parts = new ArrayList<>();
        for (Figures f : figures)
            parts.add(String.format(java.util.Locale.ROOT, "%s AUC %s (mistakes rewarded %s, successes punished %s%s)",
                    f.role(), fixed(f.auc()), percent(f.rewardedMistakes()), percent(f.punishedSuccesses()),
                    f.signsCompared() == 0 ? "" : ", signs flipped " + percent(f.signFlips())));
        return String.join(", ", parts);
    }

    private static String fixed(double x) { return Double.isNaN(x) ? "-" : String.format(java.util.Locale.ROOT, "%.2f", x); }

    private static String percent(double x) { return Double.isNaN(x) ? "-" : String.format(java.util.Locale.ROOT, "%.0f%%", 100 * x); }
}
