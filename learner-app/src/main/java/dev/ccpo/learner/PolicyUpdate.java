package dev.ccpo.learner;

import dev.ccpo.avro.AgentAdvantage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One optimizer step of the learner over a batch of whole groups: each record goes to its policy's trainer (unless its
 * role is frozen this step, unknown, empty or dead-lettered), and a step that would come out non-finite is retried
 * without the groups that spoil it.
 */
final class PolicyUpdate {
    /** Dead-letters a group's records, the reason given (one transaction). */
    interface GroupRejects {
        void reject(String groupId, List<AgentAdvantage> recs, String why);
    }

    private final Policies policies;
    private final List<String> roles;
    private final int alternateSteps;
    private final GroupRejects rejects;
    private long frozenSkipped;
    private long nonFiniteGroups;

    PolicyUpdate(Policies policies, List<String> roles, int alternateSteps, GroupRejects rejects) {
        this.policies = policies;
        this.roles = roles;
        this.alternateSteps = alternateSteps;
        this.rejects = rejects;
    }

    /** Groups skipped because their update would have been non-finite (dead-lettered). */
    long nonFiniteGroups() { return nonFiniteGroups; }

    /**
     * Trains on one batcher step as optimizer step number {@code step} (1-based) at policy {@code version};
     * droppedStale is only reported.
     */
    void apply(GroupBatcher.Step s, long step, long version, long droppedStale) {
        String active = alternateSteps == 0 ? null : roles.get((int) (((step - 1) / alternateSteps) % roles.size()));
        Map<PolicyTrainer, List<AgentAdvantage>> byTrainer = new LinkedHashMap<>();
        for (GroupBatcher.Item item : s.items()) {
            AgentAdvantage r = item.rec();
            String role = Learner.policyKey(r, policies.keys());
            PolicyTrainer t = policies.get(role);
            if (t == null || (active != null && !active.equals(role)) || r.getOutputTokenIds().isEmpty() || item.rejected() != null) {
                frozenSkipped++; // frozen role this step, unknown role, nothing to score or dead-lettered: counted, not trained
                continue;
            }
            byTrainer.computeIfAbsent(t, k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<PolicyTrainer, List<AgentAdvantage>> e : byTrainer.entrySet()) {
            PolicyTrainer.StepMetrics m = e.getKey().step(e.getValue());
            if (m.skipped() != null) m = withoutSpoilingGroups(e.getKey(), e.getValue(), m.skipped(), step);
            if (m == null) continue;
            long lag = version - e.getValue().stream().mapToLong(AgentAdvantage::getPolicyVersion).min().orElse(version);
            System.out.printf(Locale.ROOT, "step %d role %s loss %.5f |A| %.4f clip %.3f kl %.5f gnorm %.4f lr %.2e"
                            + " tok/s %.1f version %d lag %d dropped %d skipped %d groups %s%n", step, policies.rolesOf(e.getKey()), m.loss(),
                    m.meanAbsAdv(), m.clipFraction(), m.approxKl(), m.gradNorm(), m.lr(), m.tokensPerSecond(), version, lag,
                    droppedStale, frozenSkipped, String.join(",", s.groups().stream().map(GroupBatcher.Group::groupId).toList()));
        }
    }

    /**
     * A step came out non-finite (loss, gradient norm or an updated weight) and changed nothing. Each group is probed
     * alone: the groups whose loss or gradient norm is non-finite are dead-lettered (every record, with the reason), and
     * the rest are stepped once more; if that step is refused too, its groups are dead-lettered as well. The weights
     * and the optimizer state only ever change by a finite step. Returns that step's metrics, or null if none was taken.
     */
    private PolicyTrainer.StepMetrics withoutSpoilingGroups(PolicyTrainer t, List<AgentAdvantage> recs, String why, long step) {
        Map<String, List<AgentAdvantage>> byGroup = byGroup(recs);
        List<AgentAdvantage> keep = new ArrayList<>();
        for (Map.Entry<String, List<AgentAdvantage>> g : byGroup.entrySet()) {
            String bad = byGroup.size() == 1 ? why : t.probe(g.getValue());
            if (bad == null) keep.addAll(g.getValue());
            else reject(g.getKey(), g.getValue(), bad, step);
        }
        if (keep.isEmpty()) return null;
        PolicyTrainer.StepMetrics m = t.step(keep);
        if (m.skipped() == null) return m;
        Map<String, List<AgentAdvantage>> rest = byGroup(keep);
        rest.forEach((g, rs) -> reject(g, rs, m.skipped() + " (in a step with " + String.join(",", rest.keySet()) + ")", step));
        return null;
    }

    private static Map<String, List<AgentAdvantage>> byGroup(List<AgentAdvantage> recs) {
        Map<String, List<AgentAdvantage>> byGroup = new LinkedHashMap<>();
        for (AgentAdvantage r : recs) byGroup.computeIfAbsent(r.getGroupId().toString(), k -> new ArrayList<>()).add(r);
        return byGroup;
    }

    private void reject(String groupId, List<AgentAdvantage> recs, String why, long step) {
        nonFiniteGroups++;
        System.out.printf(Locale.ROOT, "step %d: group %s not trained, the update would be non-finite (%s); its %d records "
                + "dead-lettered, the weights kept%n", step, groupId, why, recs.size());
        rejects.reject(groupId, recs, why);
    }
}
