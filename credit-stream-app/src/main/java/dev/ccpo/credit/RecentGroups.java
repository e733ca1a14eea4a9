package dev.ccpo.credit;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.avro.AgentAdvantage;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.UncheckedIOException;
import java.util.List;

/** Store {@code credit-recent}: zero-padded emission seq → JSON summary of the group, the last RECENT_KEEP only (HTTP). */
final class RecentGroups {
    static final int RECENT_KEEP = 100;
    private static final ObjectMapper JSON = new ObjectMapper();
    private KeyValueStore<String, String> store;
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

        private static Double finiteOrNull(double d) {
            return Double.isFinite(d) ? d : null;
        }
    }

    void init(KeyValueStore<String, String> store) {
        this.store = store;
        try (KeyValueIterator<String, String> it = store.reverseAll()) {
            recentSeq = it.hasNext() ? Long.parseLong(it.next().key) + 1 : 0;  // continue after a restore
        }
    }

    void record(String g, boolean complete, List<AgentAdvantage> advs) {
        long seq = recentSeq++;
        store.put(StatsProcessor.pad(seq), json(g, complete, advs));
        long old = seq - RECENT_KEEP;
        store.delete(old >= 0 ? StatsProcessor.pad(old) : String.format("%019d", old));  // the same keys as ever
    }

    static String json(String g, boolean complete, List<AgentAdvantage> advs) {
        try {
            return JSON.writeValueAsString(new Summary(g, complete, advs.stream().map(Advantage::of).toList()));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
