package dev.ccpo.credit;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.ccpo.avro.AgentAdvantage;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.List;

/** Store {@code credit-recent}: emission seq → the group's summary, the last RECENT_KEEP only (HTTP, as JSON). */
final class RecentGroups {
    static final int RECENT_KEEP = 100;
    private KeyValueStore<Long, Summary> store;
    private long recentSeq;

    /** One group as /groups/recent shows it. */
    @JsonPropertyOrder({"groupId", "complete", "advantages"})
    record Summary(String groupId, boolean complete, List<Advantage> advantages) { }

    /** JSON has no NaN/Infinity: a non-finite advantage or reward is written as null. */
    @JsonPropertyOrder({"trajectoryId", "agentId", "role", "advantage", "shapedReward"})
    record Advantage(String trajectoryId, int agentId, String role, Double advantage, Double shapedReward) {
        static Advantage of(AgentAdvantage a) {
            return new Advantage(a.getTrajectoryId(), a.getAgentId(), a.getRole(),
                    finiteOrNull(a.getAdvantage()), finiteOrNull(a.getShapedReward()));
        }

        static Double finiteOrNull(double d) {
            return Double.isFinite(d) ? d : null;
        }
    }

    void init(KeyValueStore<Long, Summary> store) {
        this.store = store;
        try (KeyValueIterator<Long, Summary> it = store.reverseAll()) {
            recentSeq = it.hasNext() ? it.next().key + 1 : 0;  // continue after a restore
        }
    }

    void record(String g, boolean complete, List<AgentAdvantage> advs) {
        long seq = recentSeq++;
        store.put(seq, summary(g, complete, advs));
        if (seq >= RECENT_KEEP) StateSerdes.remove(store, seq - RECENT_KEEP);
    }

    static Summary summary(String g, boolean complete, List<AgentAdvantage> advs) {
        return new Summary(g, complete, advs.stream().map(Advantage::of).toList());
    }
}
