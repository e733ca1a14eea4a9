package dev.ccpo.policy.team;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.Verifier;

/**
 * Runs GRPO groups of joint episodes for a {@link TeamSpec}, and their counterfactuals.
 *
 * <p>Batching: per stage, all G episodes' turns that use one model instance go in one
 * {@link ChatModel#complete} call (THINK_REASON: all G Thinkers, then all G Reasoners). A shared
 * policy is a models map whose keys all point to one instance; agents of one stage then share a call.
 * Rows of a batch are assumed to be sampled independently by the model, so G copies of a prompt give G samples.
 *
 * <p>Seeds: in a group, each call's seed is derived from the group seed, the stage and the call, replacing
 * {@code params.seed()}; the same inputs, models and group seed reproduce the same episodes. Derive
 * the group seed from a base seed with {@link Seeds#derive(long, long...)} (base, group number).
 * Counterfactual rows are seeded one by one from their episode's own seed instead, so that episodes of
 * many groups can share a call without changing each other's samples.
 *
 * <p>Thread-safe if the models are; holds no mutable state.
 */
public final class TeamRunner {

    private static final Logger log = LoggerFactory.getLogger(TeamRunner.class);
    private static final long COUNTERFACTUAL_SALT = 0xC0FFEEL;

    private final TeamSpec team;
    private final PromptLibrary prompts;
    private final Verifier verifier;
    private final boolean stopWhenTruncated;

    /** A runner that ends an episode at a turn that hit the length limit (the reference's stop_when_truncated). */
    public TeamRunner(TeamSpec team, PromptLibrary prompts, Verifier verifier) {
        this(team, prompts, verifier, true);
    }

    /**
     * @param stopWhenTruncated when a turn stops at the length limit (finish reason LENGTH), the episode ends there:
     *                          the agents of later stages get an empty turn (finish reason SKIPPED, no model call),
     *                          so the team answer is empty and the reward 0 (reference: stop_when_truncated)
     */
    public TeamRunner(TeamSpec team, PromptLibrary prompts, Verifier verifier, boolean stopWhenTruncated) {
        this.team = Objects.requireNonNull(team);
        this.prompts = Objects.requireNonNull(prompts);
        this.verifier = Objects.requireNonNull(verifier);
        this.stopWhenTruncated = stopWhenTruncated;
    }

    public TeamSpec team() { return team; }

    /** A models map that gives every role of {@code team} the same model (shared-policy mode). */
    public static Map<String, ChatModel> shared(TeamSpec team, ChatModel model) {
        Map<String, ChatModel> models = new java.util.LinkedHashMap<>();
        team.policyKeys().forEach(k -> models.put(k, model));
        return models;
    }

    /** G joint episodes of the task, scored. */
    public List<Episode> runGroup(TaskRecord task, Map<String, ChatModel> models, SamplingParams params,
                                  int groupSize, long groupSeed) {
        if (groupSize < 1) throw new IllegalArgumentException("group size must be >= 1, got " + groupSize);
        requireModels(models);
        // outputs[k][agentId]: completion of agent in episode k
        Completion[][] outputs = new Completion[groupSize][team.agents().size()];
        for (int stage = 0; stage < team.stages(); stage++) {
            List<Request> requests = new ArrayList<>();
            for (int k = 0; k < groupSize; k++) {
                for (AgentSpec agent : team.agents()) {
                    if (agent.stage() != stage) continue;
                    if (stopWhenTruncated && truncated(outputs[k])) {
                        outputs[k][agent.agentId()] = Completion.skipped();
                        continue;
                    }
                    String thought = earlierOutputs(outputs[k], stage);
                    requests.add(new Request(k, agent, prompts.render(agent.template(), agent.role(), task, thought)));
                }
            }
            List<Completion> completions = sample(requests, models, params, Seeds.derive(groupSeed, stage), null);
            for (int i = 0; i < requests.size(); i++) {
                outputs[requests.get(i).episode][requests.get(i).agent.agentId()] = completions.get(i);
            }
        }
        List<Episode> episodes = new ArrayList<>(groupSize);
        for (int k = 0; k < groupSize; k++) {
            List<AgentTurn> turns = new ArrayList<>();
            for (AgentSpec agent : team.agents()) turns.add(AgentTurn.of(agent, outputs[k][agent.agentId()]));
            List<Boolean> truth = TurnTruth.judge(team, task, turns, verifier);
            for (int i = 0; i < turns.size(); i++) turns.set(i, turns.get(i).judged(truth.get(i)));
            String answer = teamAnswer(task, turns, -1);
            episodes.add(new Episode(k, turns, answer, reward(task, answer)));
        }
        log.debug("Group of {} on {}: rewards {}", groupSize, task.taskId(), episodes.stream().map(Episode::reward).toList());
        return episodes;
    }

    /** An episode whose counterfactuals to compute, with its task and the seed its re-runs draw from. */
    public record CounterfactualJob(TaskRecord task, Episode episode, long seed) {}

    /**
     * Counterfactuals of episodes of any tasks and groups: for each job, in order, one result per masked agent.
     * RERUN (THINK_REASON): the teammates after the masked agent answer alone with the solo template,
     * {@code samplesPerEpisode} samples per job, the rows of all jobs in one batched call per model. Each row is
     * seeded from its job's seed, the masked agent and the sample index alone, so a job's results do not depend on
     * the other jobs of the call or on their order (a redo batched differently samples the same).
     * RECOMPUTE (VOTING): the majority without the masked voter, one sample, no model call
     * ({@code models} may then be empty).
     */
    public List<List<CounterfactualResult>> counterfactuals(List<CounterfactualJob> jobs, Map<String, ChatModel> models,
                                                            SamplingParams params, int samplesPerEpisode) {
        return switch (team.counterfactualMethod()) {
            case RECOMPUTE -> jobs.stream().map(j -> recompute(j.task(), j.episode())).toList();
            case RERUN -> rerun(jobs, models, params, samplesPerEpisode);
        };
    }

    private List<CounterfactualResult> recompute(TaskRecord task, Episode e) {
        List<CounterfactualResult> results = new ArrayList<>();
        for (int masked : team.maskedAgents()) {
            String answer = teamAnswer(task, e.turns(), masked);
            results.add(new CounterfactualResult(e.groupIndex(), masked, team.agents().get(masked).role(),
                    CounterfactualMethod.RECOMPUTE, List.of(reward(task, answer)), List.of(answer), List.of()));
        }
        return results;
    }

    private List<List<CounterfactualResult>> rerun(List<CounterfactualJob> jobs, Map<String, ChatModel> models,
                                                   SamplingParams params, int samples) {
        if (samples < 1) throw new IllegalArgumentException("counterfactual samples must be >= 1, got " + samples);
        requireModels(models);
        // The agent that answers alone: the last one (the Reasoner), with its solo template.
        AgentSpec solo = team.agents().get(team.agents().size() - 1);
        List<Request> requests = new ArrayList<>();
        long[] rowSeeds = new long[jobs.size() * team.maskedAgents().size() * samples];
        for (int j = 0; j < jobs.size(); j++) {
            List<ChatMessage> soloPrompt = prompts.render(team.soloTemplate(), solo.role(), jobs.get(j).task(), null);
            for (int masked : team.maskedAgents()) {
                if (solo.agentId() == masked) throw new IllegalStateException("cannot re-run without the answering agent");
                for (int s = 0; s < samples; s++) {
                    rowSeeds[requests.size()] = Seeds.derive(jobs.get(j).seed(), COUNTERFACTUAL_SALT, masked, s);
                    requests.add(new Request(j, solo, soloPrompt));
                }
            }
        }
        List<Completion> completions = sample(requests, models, params, 0L, rowSeeds);
        List<List<CounterfactualResult>> results = new ArrayList<>(jobs.size());
        int row = 0;
        for (CounterfactualJob job : jobs) {
            TaskRecord task = job.task();
            List<CounterfactualResult> mine = new ArrayList<>();
            for (int masked : team.maskedAgents()) {
                List<Double> rewards = new ArrayList<>();
                List<String> answers = new ArrayList<>();
                List<AgentTurn> turns = new ArrayList<>();
                for (int s = 0; s < samples; s++) {
                    AgentTurn turn = AgentTurn.of(solo, completions.get(row++));
                    String answer = verifier.extractAnswer(turn.text(), task.answerKind(), task.choices()).orElse("");
                    turns.add(turn);
                    answers.add(answer);
                    rewards.add(reward(task, answer));
                }
                mine.add(new CounterfactualResult(job.episode().groupIndex(), masked, team.agents().get(masked).role(),
                        CounterfactualMethod.RERUN, rewards, answers, turns));
            }
            results.add(mine);
        }
        return results;
    }

    /** The team answer from the turns, leaving out agent {@code excluded} (-1: none). */
    private String teamAnswer(TaskRecord task, List<AgentTurn> turns, int excluded) {
        return switch (team.aggregation()) {
            case LAST_AGENT -> {
                AgentTurn last = turns.get(turns.size() - 1);
                yield last.agentId() == excluded ? ""
                        : verifier.extractAnswer(last.text(), task.answerKind(), task.choices()).orElse("");
            }
            case MAJORITY_VOTE -> {
                List<Optional<String>> votes = new ArrayList<>();
                for (AgentTurn t : turns) {
                    if (t.agentId() != excluded) votes.add(verifier.extractAnswer(t.text(), task.answerKind(), task.choices()));
                }
                yield MajorityVote.decide(votes, verifier, task.answerKind()).orElse("");
            }
        };
    }

    private double reward(TaskRecord task, String answer) {
        return !answer.isEmpty() && verifier.equivalent(answer, task.referenceAnswer(), task.answerKind()) ? 1.0 : 0.0;
    }

    /** True when a turn already taken in the episode stopped at the length limit. */
    private static boolean truncated(Completion[] episodeOutputs) {
        for (Completion c : episodeOutputs) if (c != null && c.finishReason() == Completion.FinishReason.LENGTH) return true;
        return false;
    }

    /** What earlier stages wrote, for the {thought} placeholder. */
    private static String earlierOutputs(Completion[] episodeOutputs, int stage) {
        if (stage == 0) return "";
        StringBuilder sb = new StringBuilder();
        for (Completion c : episodeOutputs) {
            if (c == null) continue;
            if (sb.length() > 0) sb.append("\n\n");
            sb.append(c.text().strip());
        }
        return sb.toString();
    }

    /**
     * One batched call per distinct model instance; completions come back in request order. Without row seeds each
     * call is seeded with derive(seed, call) (the model seeds its rows from that and their index); with them, request
     * i is sampled from rowSeeds[i] alone.
     */
    private List<Completion> sample(List<Request> requests, Map<String, ChatModel> models, SamplingParams params, long seed,
                                    long[] rowSeeds) {
        Map<ChatModel, List<Integer>> byModel = new IdentityHashMap<>();
        List<ChatModel> order = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            ChatModel model = models.get(requests.get(i).agent.policyKey());
            byModel.computeIfAbsent(model, m -> { order.add(m); return new ArrayList<>(); }).add(i);
        }
        Completion[] out = new Completion[requests.size()];
        for (int call = 0; call < order.size(); call++) {
            ChatModel model = order.get(call);
            List<Integer> indices = byModel.get(model);
            List<List<ChatMessage>> conversations = indices.stream().map(i -> requests.get(i).messages).toList();
            List<Completion> completions = rowSeeds == null
                    ? model.complete(conversations, params.withSeed(Seeds.derive(seed, call)))
                    : model.complete(conversations, params, indices.stream().mapToLong(i -> rowSeeds[i]).toArray());
            if (completions == null || completions.size() != conversations.size()) {
                throw new IllegalStateException("model returned " + (completions == null ? "null" : completions.size())
                        + " completions for " + conversations.size() + " conversations");
            }
            for (int j = 0; j < indices.size(); j++) out[indices.get(j)] = completions.get(j);
        }
        return List.of(out);
    }

    private void requireModels(Map<String, ChatModel> models) {
        for (String key : team.policyKeys()) {
            if (models.get(key) == null) {
                throw new IllegalArgumentException("No model for '" + key + "'; the " + team.topology()
                        + " team needs models for " + team.policyKeys() + ", got " + models.keySet());
            }
        }
    }

    private record Request(int episode, AgentSpec agent, List<ChatMessage> messages) {}
}
