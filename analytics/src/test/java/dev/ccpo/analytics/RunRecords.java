package dev.ccpo.analytics;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.Moments;
import dev.ccpo.avro.PolicyWeights;
import dev.ccpo.avro.RolloutStats;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.infra.SampleRecords;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A small but realistic training run's records (THINK_REASON dyad, groups of 4), built from infra's
 * SampleRecords, plus the numbers the page must show for them.
 */
final class RunRecords {
    static final int GROUP = 4;
    final List<Trajectory> trajectories = new ArrayList<>();
    final List<AgentAdvantage> advantages = new ArrayList<>();
    final List<CounterfactualOutcome> counterfactuals = new ArrayList<>();
    final List<RolloutStats> stats = new ArrayList<>();
    final List<PolicyWeights> weights = new ArrayList<>();

    /** Expected per policy version: trajectories, correct. */
    final Map<Long, long[]> perVersion = new TreeMap<>();
    /** Expected advantages per role. */
    final Map<String, Integer> advantagesPerRole = new TreeMap<>();
    /** Expected current version per worker. */
    final Map<String, Long> workerVersion = new TreeMap<>();

    /**
     * groupsPerVersion groups for each version in [fromVersion, toVersion]; accuracy rises with the version.
     * Reasoner advantages are left out for the last group of each version (a group the credit app has not
     * finished), so the two roles' counts differ.
     */
    RunRecords(long fromVersion, long toVersion, int groupsPerVersion, long seed, Instant start) {
        Random rnd = new Random(seed);
        Instant t = start;
        for (long v = fromVersion; v <= toVersion; v++) {
            double p = Math.min(0.9, 0.2 * v);
            for (int g = 0; g < groupsPerVersion; g++) {
                String groupId = "v" + v + "-g" + g;
                String worker = "gen-" + (g % 2);
                double[] joint = new double[GROUP], solo = new double[GROUP];
                for (int k = 0; k < GROUP; k++) {
                    joint[k] = rnd.nextDouble() < p ? 1.0 : 0.0;
                    solo[k] = rnd.nextDouble() < p / 2 ? 1.0 : 0.0;
                }
                for (int k = 0; k < GROUP; k++) {
                    t = t.plusMillis(50);
                    Trajectory tr = Trajectory.newBuilder(SampleRecords.trajectory()).setTrajectoryId(groupId + "/" + k)
                            .setGroupId(groupId).setGroupIndex(k).setGroupSize(GROUP).setPolicyVersion(v)
                            .setReward(joint[k]).setFinalAnswer(joint[k] > 0 ? "2" : "3").setWorkerId(worker).setCreatedAtMs(t).build();
                    trajectories.add(tr);
                    long[] e = perVersion.computeIfAbsent(v, x -> new long[2]);
                    e[0]++;
                    if (joint[k] >= 0.5) e[1]++;
                    workerVersion.put(worker, v);
                    counterfactuals.add(CounterfactualOutcome.newBuilder(SampleRecords.counterfactual()).setTrajectoryId(tr.getTrajectoryId())
                            .setGroupId(groupId).setGroupIndex(k).setSamples(1).setRewards(List.of(solo[k])).setAnswers(List.of("x"))
                            .setMeanReward(solo[k]).setPolicyVersion(v).setTrajectoryPolicyVersion(v).setWorkerId("cf-0").setCreatedAtMs(t).build());
                    workerVersion.put("cf-0", v);
                }
                boolean last = g == groupsPerVersion - 1;
                for (int k = 0; k < GROUP; k++) {
                    double delta = joint[k] - solo[k];
                    advantages.add(advantage(groupId, k, v, "thinker", 0, joint[k], solo[k], delta, meanCentered(joint, k), t));
                    if (!last) advantages.add(advantage(groupId, k, v, "reasoner", 1, joint[k], solo[k], 1 - delta, meanCentered(solo, k), t));
                }
            }
            for (String role : List.of("thinker", "reasoner"))
                for (int chunk = 0; chunk < 2; chunk++)
                    weights.add(PolicyWeights.newBuilder(SampleRecords.weights()).setRole(role).setPolicyVersion(v + 1)
                            .setChunkIndex(chunk).setChunkCount(2).setTotalBytes(2048)
                            .setBytes(ByteBuffer.wrap(new byte[1024])).setCreatedAtMs(t).build());
        }
        for (String role : List.of("thinker", "reasoner")) {
            Moments m = Moments.newBuilder().setCount(advantagesPerRole.getOrDefault(role, 0)).setMean(0.25).setM2(3.0).build();
            stats.add(RolloutStats.newBuilder(SampleRecords.rolloutStats()).setRole(role).setWindowStartMs(start)
                    .setWindowEndMs(t).setCredit(m).setJoint(m).setCounterfactual(m).build());
        }
    }

    private static double meanCentered(double[] r, int k) {
        double mean = 0;
        for (double x : r) mean += x / r.length;
        double var = 0;
        for (double x : r) var += (x - mean) * (x - mean) / r.length;
        return (r[k] - mean) / (Math.sqrt(var) + 1e-6);
    }

    private AgentAdvantage advantage(String groupId, int k, long v, String role, int agent, double joint, double solo,
                                     double marginal, double adv, Instant t) {
        advantagesPerRole.merge(role, 1, Integer::sum);
        return AgentAdvantage.newBuilder(SampleRecords.advantage()).setTrajectoryId(groupId + "/" + k).setGroupId(groupId)
                .setGroupIndex(k).setGroupSize(GROUP).setAgentId(agent).setRole(role).setPolicyVersion(v).setAdvantage(adv)
                .setReward(joint).setCounterfactualReward(solo).setMarginalContribution(marginal).setCreatedAtMs(t).build();
    }

    double accuracy(long version) {
        long[] e = perVersion.get(version);
        return (double) e[1] / e[0];
    }
}
