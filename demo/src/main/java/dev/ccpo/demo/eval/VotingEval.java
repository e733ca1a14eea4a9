package dev.ccpo.demo.eval;

import dev.ccpo.config.Roles;
import dev.ccpo.demo.DemoTasks;
import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.Verifier;
import dev.ccpo.policy.team.MajorityVote;
import dev.ccpo.policy.team.PromptLibrary;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Greedy accuracy of a VOTING team on the held-out tasks, each voter's answers in one batched call: the team (the
 * majority of the voters' answers, as the generator's TeamRunner decides it) and each voter alone.
 */
public final class VotingEval {
    private final List<ArithmeticTask> tasks;
    private final PromptLibrary prompts;
    private final Verifier verifier;
    private final int maxNewTokens;

    public VotingEval(DemoTasks tasks, int count, PromptLibrary prompts, Verifier verifier, int maxNewTokens) {
        if (count < 1) throw new IllegalArgumentException("held-out set is empty");
        this.tasks = tasks.heldOut(count);
        this.prompts = prompts;
        this.verifier = verifier;
        this.maxNewTokens = maxNewTokens;
    }

    /** voters: policy ("voter0", …) to model, in agent order. */
    public HeldOutEval.Result evaluate(Map<String, ? extends ChatModel> voters) {
        SamplingParams greedy = SamplingParams.greedy(maxNewTokens);
        List<List<ChatMessage>> asks = new ArrayList<>();
        for (ArithmeticTask t : tasks) asks.add(prompts.render(DemoTasks.VOTER_TEMPLATE, Roles.VOTER, t.task(), null));
        Map<String, List<Completion>> answers = new LinkedHashMap<>();
        voters.forEach((policy, model) -> answers.put(policy, model.complete(asks, greedy)));
        Map<String, Double> alone = new LinkedHashMap<>();
        answers.forEach((policy, cs) -> {
            int right = 0;
            for (int i = 0; i < tasks.size(); i++) right += right(vote(cs.get(i), tasks.get(i).task()), tasks.get(i).task()) ? 1 : 0;
            alone.put(policy, right / (double) tasks.size());
        });
        int teamRight = 0;
        for (int i = 0; i < tasks.size(); i++) {
            TaskRecord task = tasks.get(i).task();
            List<Optional<String>> votes = new ArrayList<>();
            for (List<Completion> cs : answers.values()) votes.add(vote(cs.get(i), task));
            teamRight += right(MajorityVote.decide(votes, verifier, task.answerKind()), task) ? 1 : 0;
        }
        return new HeldOutEval.Result(tasks.size(), teamRight / (double) tasks.size(), Double.NaN, Double.NaN, alone);
    }

    private Optional<String> vote(Completion c, TaskRecord task) {
        return verifier.extractAnswer(c.text(), task.answerKind(), task.choices());
    }

    /** As TeamRunner rewards a team answer: present and equivalent to the reference. */
    private boolean right(Optional<String> answer, TaskRecord task) {
        return answer.isPresent() && !answer.get().isEmpty() && verifier.equivalent(answer.get(), task.referenceAnswer(), task.answerKind());
    }
}
