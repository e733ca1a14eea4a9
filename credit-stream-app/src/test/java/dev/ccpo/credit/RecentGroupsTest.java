package dev.ccpo.credit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.infra.SampleRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentGroupsTest {
    /**
     * The shape /groups/recent has always shown (a summary read back from the store, written as JSON the way the
     * stats server writes it): field order, numbers as Java prints them, non-finite as null.
     */
    @Test
    void summaryKeepsItsJsonShape() throws Exception {
        AgentAdvantage a = SampleRecords.advantage();
        AgentAdvantage b = AgentAdvantage.newBuilder(a).setTrajectoryId("g\"1/1").setAgentId(1).setRole("reasoner")
                .setAdvantage(Double.NaN).setShapedReward(-1.5e-7).build();
        assertEquals("{\"groupId\":\"g\\\"1\",\"complete\":false,\"advantages\":["
                        + "{\"trajectoryId\":\"g1/0\",\"agentId\":0,\"role\":\"thinker\",\"advantage\":0.75,\"shapedReward\":0.5},"
                        + "{\"trajectoryId\":\"g\\\"1/1\",\"agentId\":1,\"role\":\"reasoner\",\"advantage\":null,\"shapedReward\":-1.5E-7}]}",
                json("g\"1", false, List.of(a, b)));
        assertEquals("{\"groupId\":\"g\",\"complete\":true,\"advantages\":[]}", json("g", true, List.of()));
    }

    private static String json(String g, boolean complete, List<AgentAdvantage> advs) throws Exception {
        byte[] stored = StateSerdes.RECENT_GROUP.serializer().serialize(null, RecentGroups.summary(g, complete, advs));
        return new ObjectMapper().valueToTree(StateSerdes.RECENT_GROUP.deserializer().deserialize(null, stored)).toString();
    }
}
