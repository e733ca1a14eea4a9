package dev.ccpo.credit;

import dev.ccpo.avro.AnswerKind;
import dev.ccpo.avro.CounterfactualMethod;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.Task;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Test records: small, with every required field set. */
final class Fixtures {
    private Fixtures() { }

    /** Window 60 s, grace 0, ema, max wait 120 s, dedup 120 s, one input partition. */
    static CreditSettings.Stats stats() {
        return new CreditSettings.Stats(60_000L, 0L, "ema", 10, 1, 120_000L, 120_000L, 1);
    }

    static CreditSettings settings(CreditMode mode) { return settings(mode, stats()); }

    static CreditSettings settings(CreditMode mode, CreditSettings.Stats st) {
        return settings(mode, st, dev.ccpo.worker.ValueDomains.DEFAULT);
    }

    static CreditSettings settings(CreditMode mode, CreditSettings.Stats st, dev.ccpo.worker.ValueDomains domains) {
        return settings(mode, st, domains, CreditSettings.Release.WINDOW);
    }

    static CreditSettings settings(CreditMode mode, CreditSettings.Release release) {
        return settings(mode, stats(), dev.ccpo.worker.ValueDomains.DEFAULT, release);
    }

    static CreditSettings settings(CreditMode mode, CreditSettings.Stats st, dev.ccpo.worker.ValueDomains domains,
                                   CreditSettings.Release release) {
        return new CreditSettings("ccpo-credit-test", "ccpo.trajectories", "ccpo.counterfactuals", "ccpo.advantages",
                "ccpo.rollout-stats", "ccpo.dlq", mode, 60_000L, 1.0, 1.0, 0.99, CreditMath.WARMUP, true, 1_000L, 0,
                "127.0.0.1", st, domains, release);
    }

    static Task task(String id) {
        return Task.newBuilder().setTaskId(id).setDataset("synthetic-arith").setQuestion("1+1?").setReferenceAnswer("2")
                .setAnswerKind(AnswerKind.values()[0]).build();
    }

    static Turn turn(int agent, String role) {
        return Turn.newBuilder().setAgentId(agent).setRole(role).setPromptTokenIds(List.of(1, 2, 3))
                .setOutputTokenIds(List.of(10 + agent, 20 + agent)).setBehaviourLogProbs(List.of(-0.5f, -0.25f))
                .setText("t" + agent).build();
    }

    static Trajectory thinkReason(String g, int k, int size, double reward, long ts) {
        return trajectory(g, k, size, Topology.THINK_REASON, List.of(turn(0, "thinker"), turn(1, "reasoner")), reward, ts);
    }

    static Trajectory voting(String g, int k, int size, int voters, double reward, long ts) {
        List<Turn> turns = new ArrayList<>();
        for (int v = 0; v < voters; v++) turns.add(turn(v, "voter"));
        return trajectory(g, k, size, Topology.VOTING, turns, reward, ts);
    }

    static Trajectory trajectory(String g, int k, int size, Topology topo, List<Turn> turns, double reward, long ts) {
        return Trajectory.newBuilder().setTrajectoryId(g + "/" + k).setGroupId(g).setGroupIndex(k).setGroupSize(size)
                .setTask(task("task-" + g)).setTopology(topo).setPolicyVersion(7).setTurns(turns).setFinalAnswer("2")
                .setReward(reward).setCreatedAtMs(Instant.ofEpochMilli(ts)).build();
    }

    static CounterfactualOutcome cf(String g, int k, int size, Topology topo, int masked, String role, double mean, long ts) {
        return CounterfactualOutcome.newBuilder().setTrajectoryId(g + "/" + k).setGroupId(g).setGroupIndex(k)
                .setGroupSize(size).setTopology(topo).setMaskedAgentId(masked).setMaskedRole(role)
                .setMethod(topo == Topology.VOTING ? CounterfactualMethod.RECOMPUTE : CounterfactualMethod.RERUN)
                .setSamples(1).setRewards(List.of(mean)).setMeanReward(mean).setPolicyVersion(7)
                .setTrajectoryPolicyVersion(7).setCreatedAtMs(Instant.ofEpochMilli(ts)).build();
    }

    static CounterfactualOutcome solo(String g, int k, int size, double rSolo, long ts) {
        return cf(g, k, size, Topology.THINK_REASON, 0, "thinker", rSolo, ts);
    }
}
