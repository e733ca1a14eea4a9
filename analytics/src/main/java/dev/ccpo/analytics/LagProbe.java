package dev.ccpo.analytics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Consumer lag per stage from the Admin API only: for every consumer group on the cluster (the services'
 * groups ccpo-generator, ccpo-counterfactual, ccpo-credit (the Streams application id), ccpo-learner, and
 * whatever else is found), the committed offsets against the partitions' last stable offsets.
 */
public final class LagProbe {
    /** The services' groups, shown with found=false until they have committed something. */
    public static final List<String> KNOWN_GROUPS = List.of("ccpo-generator", "ccpo-counterfactual", "ccpo-credit", "ccpo-learner");
    private static final Map<String, String> STAGES = Map.of("ccpo-generator", "generator", "ccpo-counterfactual", "counterfactual",
            "ccpo-credit", "credit", "ccpo-learner", "learner");
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final long TIMEOUT_S = 10;

    private final Admin admin;
    private final String ownGroup;

    public LagProbe(Admin admin, String ownGroup) {
        this.admin = admin;
        this.ownGroup = ownGroup;
    }

    /** One probe; failures show up in "error" (per group or overall) instead of throwing. */
    public ObjectNode probe(long nowMs) {
        ObjectNode root = F.objectNode().put("probedAtMs", nowMs);
        ArrayNode out = root.putArray("groups");
        try {
            TreeMap<String, String> groups = new TreeMap<>();
            for (String g : KNOWN_GROUPS) groups.put(g, null);
            for (GroupListing l : admin.listGroups().all().get(TIMEOUT_S, TimeUnit.SECONDS)) {
                if (l.groupId().equals(ownGroup) || l.groupId().startsWith("ccpo-analytics-")) continue;
                groups.put(l.groupId(), l.groupState().map(Object::toString).orElse("UNKNOWN"));
            }
            Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = new TreeMap<>();
            Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
            for (String g : groups.keySet()) {
                try {
                    Map<TopicPartition, OffsetAndMetadata> offs = admin.listConsumerGroupOffsets(g)
                            .partitionsToOffsetAndMetadata().get(TIMEOUT_S, TimeUnit.SECONDS);
                    Map<TopicPartition, OffsetAndMetadata> kept = new HashMap<>();
                    offs.forEach((tp, om) -> { if (om != null) kept.put(tp, om); });
                    committed.put(g, kept);
                    kept.keySet().forEach(tp -> wanted.put(tp, OffsetSpec.latest()));
                } catch (Exception e) {
                    out.addObject().put("group", g).put("stage", STAGES.getOrDefault(g, g)).put("found", false)
                            .put("error", rootMessage(e));
                }
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = wanted.isEmpty() ? Map.of()
                    : admin.listOffsets(wanted, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            committed.forEach((g, offs) -> {
                boolean found = !offs.isEmpty() || groups.get(g) != null;
                ObjectNode o = out.addObject().put("group", g).put("stage", STAGES.getOrDefault(g, g))
                        .put("found", found).put("state", groups.get(g));
                if (!found) return;  // a service that has not started: no lag number rather than a misleading 0
                ObjectNode topics = o.putObject("topics");
                long total = 0;
                Map<String, Long> byTopic = new TreeMap<>();
                for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offs.entrySet()) {
                    ListOffsetsResult.ListOffsetsResultInfo end = ends.get(e.getKey());
                    if (end == null) continue;
                    long lag = Math.max(0, end.offset() - e.getValue().offset());
                    byTopic.merge(e.getKey().topic(), lag, Long::sum);
                    total += lag;
                }
                byTopic.forEach(topics::put);
                o.put("total", total);
            });
            root.putNull("error");
        } catch (Exception e) {
            root.put("error", rootMessage(e));
        }
        return root;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
