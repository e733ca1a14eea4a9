package dev.ccpo.credit;

import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.Topology;
import dev.ccpo.avro.Trajectory;
import dev.ccpo.avro.Turn;
import dev.ccpo.config.Roles;
import dev.ccpo.credit.CreditMath.History;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Credit of one group: pure function of its usable episodes (sorted by groupIndex), the global
 * history as of before the group, and the settings. Deterministic: no clock, sorted iteration.
 */
public final class GroupCredit {
    /** History signal names (state-store keys). */
    public static final String DELTA = Roles.THINKER + ".delta", JOINT = Roles.THINKER + ".joint", SOLO = Roles.THINKER + ".solo", VOTER = Roles.VOTER + ".c";
    /** Roles of the global statistics (keys of ccpo.rollout-stats). */

    /** Stats role of a topology: THINK_REASON -> thinker (Delta, R_joint, R_solo), VOTING -> voter (pooled c, R_joint, R_-k). */
    public static String role(Topology t) { return t == Topology.THINK_REASON ? Roles.THINKER : Roles.VOTER; }

    /** The history map compute() reads, from a role's {credit, joint, counterfactual} histories. */
    public static Map<String, History> historyMap(String role, History[] h) {
        return role.equals(Roles.THINKER) ? Map.of(DELTA, h[0], JOINT, h[1], SOLO, h[2]) : Map.of(VOTER, h[0]);
    }

    /**
     * Raw signals of a group as exact batch moments {credit, joint, counterfactual}, independent of the
     * credit mode (the statistics describe the data, not the rule).
     */
    public static Stat[] rawSignals(List<Episode> eps) {
        List<double[]> rows = new ArrayList<>();  // {credit, joint, cf}
        for (Episode e : eps) {
            double joint = e.trajectory().getReward();
            if (e.trajectory().getTopology() == Topology.THINK_REASON) {
                double solo = thinkerCounterfactual(e).getMeanReward();
                rows.add(new double[]{joint - solo, joint, solo});
            } else {
                for (Turn turn : sortedTurns(e.trajectory())) {
                    double minus = e.counterfactuals().get(turn.getAgentId()).getMeanReward();
                    rows.add(new double[]{joint - minus, joint, minus});
                }
            }
        }
        Stat[] out = new Stat[3];
        for (int i = 0; i < 3; i++) {
            final int j = i;
            out[i] = Stat.of(rows.stream().mapToDouble(r -> r[j]).toArray());
        }
        return out;
    }

    /** Event time of a group = max createdAt of its trajectories (no wall clock in records). */
    static long eventTime(List<Episode> eps) {
        return eps.stream().mapToLong(e -> e.trajectory().getCreatedAtMs().toEpochMilli()).max().orElseThrow();
    }

    /** One usable episode: the trajectory and its counterfactuals keyed by masked agent id. */
    public record Episode(Trajectory trajectory, Map<Integer, CounterfactualOutcome> counterfactuals) { }

    /** The advantages plus the raw signals of the group, to fold into the history afterwards. */
    public record Result(List<AgentAdvantage> advantages, Map<String, double[]> signals) { }

    private GroupCredit() { }

    /** Credit of a group: the numbers go through {@link CreditRule}, the records are built here. */
    public static Result compute(List<Episode> eps, boolean complete, Map<String, History> hist, CreditRule.Settings rule) {
        Topology topo = eps.get(0).trajectory().getTopology();
        return topo == Topology.THINK_REASON ? thinkReason(eps, complete, hist, rule) : voting(eps, complete, hist, rule);
    }

    /** True when one of the episode's turns hit the length limit. */
    static boolean truncated(Trajectory t) { return t.getTurns().stream().anyMatch(Turn::getTruncated); }

    private static Result thinkReason(List<Episode> eps, boolean complete, Map<String, History> hist, CreditRule.Settings rule) {
        int n = eps.size();
        double[] joint = new double[n], solo = new double[n], delta = new double[n];
        boolean[] trunc = new boolean[n];
        for (int k = 0; k < n; k++) {
            joint[k] = eps.get(k).trajectory().getReward();
            solo[k] = thinkerCounterfactual(eps.get(k)).getMeanReward();
            delta[k] = joint[k] - solo[k];
            trunc[k] = truncated(eps.get(k).trajectory());
        }
        History hD = hist.getOrDefault(DELTA, History.EMPTY), hJ = hist.getOrDefault(JOINT, History.EMPTY),
                hS = hist.getOrDefault(SOLO, History.EMPTY);
        CreditRule.Out o = CreditRule.thinkReason(joint, solo, trunc, new History[]{hD, hJ, hS}, rule);
        CreditMode mode = rule.mode();
        List<AgentAdvantage> out = new ArrayList<>();
        int total = 2 * n;
        for (int k = 0; k < n; k++) {
            Trajectory t = eps.get(k).trajectory();
            for (Turn turn : sortedTurns(t)) {
                int i = Roles.THINKER.equals(turn.getRole()) ? 0 : 1;
                double cf = mode == CreditMode.SHARED ? joint[k] : solo[k];
                out.add(advantage(t, turn, complete, total, mode, o.advantages()[i][k], joint[k], cf, joint[k] - cf,
                        o.shaped()[i][k], o.shaped()[i], i == 0 ? hD : hJ, i == 0 ? null : o.gate()));
            }
        }
        return new Result(out, Map.of(DELTA, delta, JOINT, joint, SOLO, solo));
    }

    private static Result voting(List<Episode> eps, boolean complete, Map<String, History> hist, CreditRule.Settings rule) {
        History hC = hist.getOrDefault(VOTER, History.EMPTY);
        int n = eps.size();
        int voters = eps.get(0).trajectory().getTurns().size();
        double[] joint = new double[n];
        double[][] minus = new double[voters][n];
        boolean[] trunc = new boolean[n];
        List<Double> pooled = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Episode e = eps.get(k);
            joint[k] = e.trajectory().getReward();
            trunc[k] = truncated(e.trajectory());
            for (int v = 0; v < voters; v++) {
                minus[v][k] = e.counterfactuals().get(v).getMeanReward();
                pooled.add(joint[k] - minus[v][k]);
            }
        }
        CreditRule.Out o = CreditRule.voting(joint, minus, trunc, hC, rule);
        CreditMode mode = rule.mode();
        List<AgentAdvantage> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Trajectory t = eps.get(k).trajectory();
            for (Turn turn : sortedTurns(t)) {
                int v = turn.getAgentId();
                double cf = mode == CreditMode.SHARED ? joint[k] : minus[v][k];
                out.add(advantage(t, turn, complete, n * voters, mode, o.advantages()[v][k], joint[k], cf, joint[k] - cf,
                        o.shaped()[v][k], o.shaped()[v], hC, null));
            }
        }
        double[] sig = mode == CreditMode.SHARED ? new double[0] : pooled.stream().mapToDouble(Double::doubleValue).toArray();
        return new Result(out, Map.of(VOTER, sig));
    }

    static CounterfactualOutcome thinkerCounterfactual(Episode e) {
        return e.counterfactuals().values().stream().filter(c -> Roles.THINKER.equals(c.getMaskedRole())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no thinker counterfactual for " + e.trajectory().getTrajectoryId()));
    }

    private static List<Turn> sortedTurns(Trajectory t) {
        List<Turn> turns = new ArrayList<>(t.getTurns());
        turns.sort((x, y) -> Integer.compare(x.getAgentId(), y.getAgentId()));
        return turns;
    }

    private static AgentAdvantage advantage(Trajectory t, Turn turn, boolean complete, int total, CreditMode mode,
                                            double adv, double reward, double cf, double marginal, double shaped,
                                            double[] roleR, History h, Double gate) {
        return AgentAdvantage.newBuilder()
                .setTrajectoryId(t.getTrajectoryId()).setGroupId(t.getGroupId()).setGroupIndex(t.getGroupIndex())
                .setGroupSize(t.getGroupSize()).setGroupComplete(complete).setGroupRecordCount(total)
                .setTaskId(t.getTask().getTaskId()).setTopology(t.getTopology())
                .setAgentId(turn.getAgentId()).setRole(turn.getRole()).setPolicyVersion(t.getPolicyVersion())
                .setPromptTokenIds(turn.getPromptTokenIds()).setOutputTokenIds(turn.getOutputTokenIds())
                .setBehaviourLogProbs(turn.getBehaviourLogProbs()).setCreditMode(mode).setAdvantage(adv)
                .setReward(reward).setCounterfactualReward(cf).setMarginalContribution(marginal).setShapedReward(shaped)
                .setGroupMean(CreditMath.mean(roleR)).setGroupStd(CreditMath.unbiasedStd(roleR))
                .setGlobalMean(h.mean()).setGlobalStd(h.std()).setHistoryCount(h.count()).setGate(gate)
                .setTurnCorrect(turn.getCorrect()).setCreatedAtMs(groupEventTime(t)).build();
    }

    private static Instant groupEventTime(Trajectory t) { return t.getCreatedAtMs(); }
}
