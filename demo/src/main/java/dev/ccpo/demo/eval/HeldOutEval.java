package dev.ccpo.demo.eval;

import dev.ccpo.config.Roles;
import dev.ccpo.demo.DemoTasks;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.PromptLibrary;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Greedy accuracy of a Thinker/Reasoner team on held-out tasks, all tasks in one batched call per turn: the team
 * (Thinker plan, then Reasoner answer), the Reasoner alone (what the team would score without the Thinker), and how
 * often the Thinker's plan is right (its last line ends with the result its part of the work should reach).
 */
public final class HeldOutEval {

    /**
     * Accuracies in [0, 1] over {@code tasks} held-out tasks. A THINK_REASON team has solo and thinkerPlan and no
     * voters; a VOTING team ({@link VotingEval}) has each voter's own accuracy by policy ("voter0", …) and NaN for the
     * two Think–Reason measures.
     */
    public record Result(int tasks, double team, double solo, double thinkerPlan, Map<String, Double> voters) {
        public Result {
            voters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(voters));
        }

        public Result(int tasks, double team, double solo, double thinkerPlan) {
            this(tasks, team, solo, thinkerPlan, Map.of());
        }

        /** The Thinker's marginal contribution on the held-out set. */
        public double thinkerContribution() { return team - solo; }

        /** Each agent's own held-out accuracy: the voters', or the Reasoner alone and the Thinker's plan. */
        public Map<String, Double> agentAccuracy() {
            if (!voters.isEmpty()) return voters;
            Map<String, Double> agents = new java.util.LinkedHashMap<>();
            agents.put("Reasoner alone", solo);
            agents.put("Thinker's plan", thinkerPlan);
            return agents;
        }
    }

    private final DemoTasks split;
    private final List<ArithmeticTask> tasks;
    private final PromptLibrary prompts;
    private final Verifier verifier;
    private final int maxNewTokens;

    /** {@code count} held-out tasks of {@code tasks}, whose split of the work between the agents the plan check follows. */
    public HeldOutEval(DemoTasks tasks, int count, PromptLibrary prompts, Verifier verifier, int maxNewTokens) {
        if (count < 1) throw new IllegalArgumentException("held-out set is empty");
        this.split = tasks;
        this.tasks = tasks.heldOut(count);
        this.prompts = prompts;
        this.verifier = verifier;
        this.maxNewTokens = maxNewTokens;
    }

    public Result evaluate(ChatModel thinker, ChatModel reasoner) {
        SamplingParams greedy = SamplingParams.greedy(maxNewTokens);
        List<List<ChatMessage>> plans = new ArrayList<>(), solos = new ArrayList<>();
        for (ArithmeticTask t : tasks) {
            plans.add(prompts.render(DemoTasks.THINKER_TEMPLATE, Roles.THINKER, t.task(), null));
            solos.add(prompts.render(DemoTasks.SOLO_TEMPLATE, Roles.REASONER, t.task(), null));
        }
        List<Completion> thoughts = thinker.complete(plans, greedy);
        List<List<ChatMessage>> answers = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            answers.add(prompts.render(DemoTasks.REASONER_TEMPLATE, Roles.REASONER, tasks.get(i).task(), thoughts.get(i).text()));
        }
        List<Completion> team = reasoner.complete(answers, greedy);
        List<Completion> solo = reasoner.complete(solos, greedy);
        int teamRight = 0, soloRight = 0, planRight = 0;
        for (int i = 0; i < tasks.size(); i++) {
            ArithmeticTask t = tasks.get(i);
            teamRight += score(team.get(i).text(), t) > 0.5 ? 1 : 0;
            soloRight += score(solo.get(i).text(), t) > 0.5 ? 1 : 0;
            planRight += planEndsWith(thoughts.get(i).text(), split.planResult(t)) ? 1 : 0;
        }
        double n = tasks.size();
        return new Result(tasks.size(), teamRight / n, soloRight / n, planRight / n);
    }

    private double score(String output, ArithmeticTask t) {
        return verifier.score(output, t.task().referenceAnswer(), t.task().answerKind());
    }

    /** "... = 35" on the plan's last line. */
    static boolean planEndsWith(String plan, long result) {
        String[] lines = plan.strip().split("\n");
        String last = lines[lines.length - 1].strip();
        return last.endsWith("= " + result);
    }
}
