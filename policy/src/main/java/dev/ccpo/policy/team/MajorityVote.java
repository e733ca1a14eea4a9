package dev.ccpo.policy.team;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;

/**
 * Majority of the voters' answers, with answers grouped by equivalence (so "1/2" and "0.5" are one
 * vote). Ties go to the answer reached first by agent index; voters without an answer abstain.
 */
public final class MajorityVote {

    private MajorityVote() {}

    /** The winning answer as its first voter wrote it; empty if every voter abstained. */
    public static Optional<String> decide(List<Optional<String>> votes, Verifier verifier, AnswerKind kind) {
        List<String> representatives = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Optional<String> vote : votes) {
            if (vote.isEmpty() || vote.get().isBlank()) continue;
            int cluster = -1;
            for (int c = 0; c < representatives.size() && cluster < 0; c++) {
                if (verifier.equivalent(vote.get(), representatives.get(c), kind)) cluster = c;
            }
            if (cluster < 0) {
                representatives.add(vote.get());
                counts.add(1);
            } else {
                counts.set(cluster, counts.get(cluster) + 1);
            }
        }
        int best = -1;
        for (int c = 0; c < counts.size(); c++) {
            // Clusters are in order of first appearance: strict '>' keeps the earliest on a tie.
            if (best < 0 || counts.get(c) > counts.get(best)) best = c;
        }
        return best < 0 ? Optional.empty() : Optional.of(representatives.get(best));
    }
}
