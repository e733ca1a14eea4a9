package dev.ccpo.learner;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.Topology;
import java.util.List;

/** Builds valid AgentAdvantage records for tests. */
final class TestRecords {
    private TestRecords() {}

    static AgentAdvantage advantage(String group, int count, long version, boolean complete, double adv,
                                    List<Integer> output, List<Float> logProbs) {
        return AgentAdvantage.newBuilder().setTrajectoryId(group + "/0").setGroupId(group).setGroupIndex(0)
                .setGroupSize(4).setGroupComplete(complete).setGroupRecordCount(count).setTaskId("t/0")
                .setTopology(Topology.THINK_REASON).setAgentId(0).setRole("thinker").setPolicyVersion(version)
                .setPromptTokenIds(List.of(1, 2, 3)).setOutputTokenIds(output).setBehaviourLogProbs(logProbs)
                .setCreditMode(CreditMode.CCPO).setAdvantage(adv).setReward(1.0).setCounterfactualReward(0.5)
                .setMarginalContribution(0.5).setShapedReward(0.5).setGroupMean(0.5).setGroupStd(0.5)
                .setGlobalMean(0.4).setGlobalStd(0.6).setHistoryCount(100).setGate(1.0)
                .setCreatedAtMs(java.time.Instant.ofEpochMilli(0)).build();
    }
}
