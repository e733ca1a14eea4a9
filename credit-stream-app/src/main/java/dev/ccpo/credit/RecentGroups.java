package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.List;

/** Store {@code credit-recent}: zero-padded emission seq → JSON summary of the group, the last RECENT_KEEP only (HTTP). */
final class RecentGroups {
    static final int RECENT_KEEP = 100;
    private KeyValueStore<String, String> store;
    private long recentSeq;

    void init(KeyValueStore<String, String> store) {
        this.store = store;
        try (KeyValueIterator<String, String> it = store.reverseAll()) {
            recentSeq = it.hasNext() ? Long.parseLong(it.next().key) + 1 : 0;  // continue after a restore
        }
    }

    void record(String g, boolean complete, List<AgentAdvantage> advs) {
        StringBuilder sb = new StringBuilder("{\"groupId\":\"").append(Json.escape(g)).append("\",\"complete\":")
                .append(complete).append(",\"advantages\":[");
        for (int i = 0; i < advs.size(); i++) {
            AgentAdvantage a = advs.get(i);
            if (i > 0) sb.append(',');
            sb.append("{\"trajectoryId\":\"").append(Json.escape(a.getTrajectoryId())).append("\",\"agentId\":")
                    .append(a.getAgentId()).append(",\"role\":\"").append(Json.escape(a.getRole()))
                    .append("\",\"advantage\":").append(Json.num(a.getAdvantage())).append(",\"shapedReward\":")
                    .append(Json.num(a.getShapedReward())).append('}');
        }
        sb.append("]}");
        long seq = recentSeq++;
        store.put(StatsProcessor.pad(seq), sb.toString());
        long old = seq - RECENT_KEEP;
        store.delete(old >= 0 ? StatsProcessor.pad(old) : String.format("%019d", old));  // the same keys as ever
    }
}
