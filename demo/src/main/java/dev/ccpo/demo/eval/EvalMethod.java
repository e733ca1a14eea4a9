package dev.ccpo.demo.eval;

import dev.ccpo.config.Roles;
import dev.ccpo.policy.team.AgentSpec;
import dev.ccpo.policy.team.CounterfactualMethod;
import dev.ccpo.policy.team.TeamSpec;
import dev.ccpo.policy.team.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
  * A row of the evaluation table: a name and the team that answers. The single-agent CoT baseline
  * is a one-seat team: the Reasoner with its solo prompt ({@code think_reason.reasoner_solo}),
  * exactly what the THINK_REASON counterfactual runs.
  */
public record EvalMethod(String name, TeamSpec team) {
    public static final String COT = "cot";
    public static final String THINK_REASON = "think_reason";
    public static final String VOTING = "voting";

    /** Single-agent chain of thought: the Reasoner alone, solo prompt, answer = its \boxed{}. */
    public static EvalMethod cot() {
        TeamSpec solo = new TeamSpec(Topology.THINK_REASON,
                List.of(new AgentSpec(0, Roles.REASONER, Roles.REASONER, 0, "think_reason.reasoner_solo")),
                TeamSpec.Aggregation.LAST_AGENT, CounterfactualMethod.RERUN, List.of(), null);
        return new EvalMethod("CoT (single agent)", solo);
    }

    public static EvalMethod thinkReason() {
        return new EvalMethod("THINK_REASON", TeamSpec.thinkReason());
    }

    public static EvalMethod voting(int voters) {
        return new EvalMethod("VOTING (n=" + voters + ")", TeamSpec.voting(voters));
    }

    /** Parses "cot,think_reason,voting" (case-insensitive, dashes allowed) into methods, in order. */
    public static List<EvalMethod> parse(String list, int voters) {
        List<EvalMethod> out = new ArrayList<>();
        for (String raw : list.split(",")) {
            String m = raw.strip().toLowerCase(Locale.ROOT).replace('-', '_');
            if (m.isEmpty()) {
                continue;
            }
            out.add(switch (m) {
                case COT, "solo", "baseline" -> cot();
                case THINK_REASON, "thinkreason" -> thinkReason();
                case VOTING -> voting(voters);
                default -> throw new IllegalArgumentException("unknown method '" + raw.strip()
                        + "' in config key 'methods'; allowed: cot, think_reason, voting");
            });
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("config key 'methods' lists no method; allowed: cot, think_reason, voting");
        }
        return out;
    }
}
