package dev.ccpo.policy.team;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.Completion;
import dev.ccpo.policy.ChatModel;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.ArithmeticTaskGenerator;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;

class TeamRunnerTest {

    private static final Pattern LAST_RESULT = Pattern.compile("= (-?\\d+)\\s*$");
    private static final SamplingParams PARAMS = new SamplingParams(1.0f, 1.0f, 64, List.of(), 0L);

    private static Verifier verifier;
    private final ArithmeticTask arith = new ArithmeticTaskGenerator(11, 3, 1, 9).task(0);

    @BeforeAll
    static void start() { verifier = new Verifier(); }

    @AfterAll
    static void stop() { verifier.close(); }

    /** A Thinker that writes the worked steps, and a Reasoner that copies the plan's last result (or guesses 0 alone). */
    private ScriptedChatModel arithmeticTeam() {
        return new ScriptedChatModel((conversation, row, seed) -> {
            String system = ScriptedChatModel.system(conversation);
            String user = ScriptedChatModel.user(conversation);
            if (system.contains("Thinker in a team")) return arith.plan();
            Matcher m = LAST_RESULT.matcher(user);
            return m.find() ? "Following the plan, \\boxed{" + m.group(1) + "}" : "I guess \\boxed{0}";
        });
    }

    /** One counterfactual job per episode of the group, each with its own seed. */
    private static List<TeamRunner.CounterfactualJob> jobs(TaskRecord task, List<Episode> group, long seed) {
        return group.stream().map(e -> new TeamRunner.CounterfactualJob(task, e, Seeds.derive(seed, e.groupIndex()))).toList();
    }

    @Test
    void thinkReasonGroupIsTwoBatchedCallsAndScored() {
        ScriptedChatModel model = arithmeticTeam();
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        List<Episode> group = runner.runGroup(arith.task(), TeamRunner.shared(runner.team(), model), PARAMS, 4, 99L);

        assertEquals(2, model.calls.size(), "all thinkers in one call, then all reasoners");
        assertEquals(4, model.calls.get(0).conversations().size());
        assertEquals(4, model.calls.get(1).conversations().size());
        List<ChatMessage> thinkerPrompt = model.calls.get(0).conversations().get(0);
        assertTrue(ScriptedChatModel.user(thinkerPrompt).contains(arith.task().question()));
        assertFalse(ScriptedChatModel.user(thinkerPrompt).contains("{thought}"));
        String reasonerPrompt = ScriptedChatModel.user(model.calls.get(1).conversations().get(0));
        assertTrue(reasonerPrompt.contains(arith.plan()), reasonerPrompt);
        assertTrue(ScriptedChatModel.system(model.calls.get(1).conversations().get(0)).contains("\\boxed{}"));

        assertEquals(4, group.size());
        for (int k = 0; k < 4; k++) {
            Episode e = group.get(k);
            assertEquals(k, e.groupIndex());
            assertEquals(1.0, e.reward());
            assertEquals(Long.toString(arith.answer()), e.finalAnswer());
            assertEquals(List.of(0, 1), e.turns().stream().map(AgentTurn::agentId).toList());
            assertEquals(List.of("thinker", "reasoner"), e.turns().stream().map(AgentTurn::role).toList());
            AgentTurn reasoner = e.turns().get(1);
            assertEquals(reasoner.text().length(), reasoner.outputTokenIds().length);
            assertEquals(reasoner.outputTokenIds().length, reasoner.logProbs().length);
            assertTrue(reasoner.promptTokenIds().length > 0);
        }
    }

    @Test
    void aThinkerTurnAtTheLengthLimitEndsTheEpisode_referenceStopWhenTruncated() {
        // Episodes 1 and 3: the Thinker rambles past max.new.tokens (64) -> LENGTH; their Reasoners are not called,
        // get an empty SKIPPED turn, and the episode scores 0. With stopWhenTruncated=false they answer from the cut plan.
        String ramble = "x".repeat(100);
        ScriptedChatModel model = new ScriptedChatModel((conversation, row, seed) -> {
            if (ScriptedChatModel.system(conversation).contains("Thinker in a team")) return row % 2 == 1 ? ramble : arith.plan();
            Matcher m = LAST_RESULT.matcher(ScriptedChatModel.user(conversation));
            return m.find() ? "Following the plan, \\boxed{" + m.group(1) + "}" : "\\boxed{" + arith.answer() + "}";
        });
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier, true);
        List<Episode> group = runner.runGroup(arith.task(), TeamRunner.shared(runner.team(), model), PARAMS, 4, 99L);
        assertEquals(2, model.calls.get(1).conversations().size(), "only the two untruncated episodes' Reasoners run");
        for (int k = 0; k < 4; k++) {
            Episode e = group.get(k);
            boolean truncated = k % 2 == 1;
            assertEquals(truncated ? Completion.FinishReason.LENGTH : Completion.FinishReason.END_OF_TURN, e.turns().get(0).finishReason());
            assertEquals(truncated ? Completion.FinishReason.SKIPPED : Completion.FinishReason.END_OF_TURN, e.turns().get(1).finishReason());
            assertEquals(truncated ? 0.0 : 1.0, e.reward(), "episode " + k);
            if (truncated) assertEquals(0, e.turns().get(1).outputTokenIds().length);
        }
        ScriptedChatModel again = new ScriptedChatModel((conversation, row, seed) ->
                ScriptedChatModel.system(conversation).contains("Thinker in a team") ? ramble : "\\boxed{" + arith.answer() + "}");
        TeamRunner going = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier, false);
        List<Episode> on = going.runGroup(arith.task(), TeamRunner.shared(going.team(), again), PARAMS, 2, 99L);
        assertEquals(4, again.calls.get(0).conversations().size() + again.calls.get(1).conversations().size());
        assertEquals(1.0, on.get(0).reward(), "without stopWhenTruncated the Reasoner still answers");
    }

    @Test
    void thinkerRemovedCounterfactualRerunsTheReasonerAloneKTimesInOneCall() {
        ScriptedChatModel model = arithmeticTeam();
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        Map<String, ChatModel> models = TeamRunner.shared(runner.team(), model);
        List<Episode> group = runner.runGroup(arith.task(), models, PARAMS, 3, 5L);
        List<CounterfactualResult> cf = runner.counterfactuals(jobs(arith.task(), group, 5L), models, PARAMS, 2).stream()
                .flatMap(List::stream).toList();

        assertEquals(3, model.calls.size());
        ScriptedChatModel.Call rerun = model.calls.get(2);
        assertEquals(6, rerun.conversations().size(), "G x K solo prompts in one call");
        String soloPrompt = ScriptedChatModel.user(rerun.conversations().get(0));
        assertTrue(soloPrompt.contains(arith.task().question()));
        assertFalse(soloPrompt.contains("Plan"), soloPrompt);

        assertEquals(3, cf.size());
        for (int k = 0; k < 3; k++) {
            CounterfactualResult r = cf.get(k);
            assertEquals(k, r.groupIndex());
            assertEquals(0, r.maskedAgentId());
            assertEquals("thinker", r.maskedRole());
            assertEquals(CounterfactualMethod.RERUN, r.method());
            assertEquals(2, r.samples());
            assertEquals(List.of(0.0, 0.0), r.rewards());
            assertEquals(List.of("0", "0"), r.answers());
            assertEquals(2, r.turns().size());
            assertEquals("reasoner", r.turns().get(0).role());
            // The Thinker's marginal contribution: joint 1 - solo 0.
            assertEquals(1.0, group.get(k).reward() - r.meanReward());
        }
    }

    @Test
    void counterfactualRowsAreSeededByTheirOwnJobWhateverTheBatch() {
        ScriptedChatModel model = arithmeticTeam();
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        Map<String, ChatModel> models = TeamRunner.shared(runner.team(), model);
        TaskRecord other = new ArithmeticTaskGenerator(12, 3, 1, 9).task(0).task();
        List<Episode> group = runner.runGroup(arith.task(), models, PARAMS, 2, 5L);
        TeamRunner.CounterfactualJob a = new TeamRunner.CounterfactualJob(arith.task(), group.get(0), 1L);
        TeamRunner.CounterfactualJob b = new TeamRunner.CounterfactualJob(other, group.get(1), 2L);
        runner.counterfactuals(List.of(a, b), models, PARAMS, 2);
        runner.counterfactuals(List.of(b), models, PARAMS, 2);
        runner.counterfactuals(List.of(b, a), models, PARAMS, 2);

        assertEquals(5, model.calls.size(), "two group stages, then one call per counterfactual batch");
        long[] ab = model.calls.get(2).rowSeeds();
        long[] bAlone = model.calls.get(3).rowSeeds();
        long[] ba = model.calls.get(4).rowSeeds();
        assertEquals(4, ab.length);
        assertArrayEquals(bAlone, java.util.Arrays.copyOfRange(ab, 2, 4), "b's rows after a = b's rows alone");
        assertArrayEquals(bAlone, java.util.Arrays.copyOfRange(ba, 0, 2), "b's rows first = b's rows alone");
        assertArrayEquals(java.util.Arrays.copyOfRange(ab, 0, 2), java.util.Arrays.copyOfRange(ba, 2, 4), "a's rows anywhere");
        assertNotEquals(ab[0], ab[1], "the K samples of a job get different seeds");
        assertTrue(ScriptedChatModel.user(model.calls.get(2).conversations().get(2)).contains(other.question()), "b's own task");
    }

    @Test
    void separatePoliciesGetTheirOwnCallsAndMissingOnesAreNamed() {
        ScriptedChatModel thinker = arithmeticTeam();
        ScriptedChatModel reasoner = arithmeticTeam();
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        List<Episode> group = runner.runGroup(arith.task(), Map.of("thinker", thinker, "reasoner", reasoner), PARAMS, 2, 1L);
        assertEquals(1, thinker.calls.size());
        assertEquals(1, reasoner.calls.size());
        assertEquals(2.0, group.stream().mapToDouble(Episode::reward).sum());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> runner.runGroup(arith.task(), Map.of("thinker", thinker), PARAMS, 2, 1L));
        assertTrue(e.getMessage().contains("reasoner"), e.getMessage());
    }

    @Test
    void seedsAreDerivedFromTheGroupSeedAndReproducible() {
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        ScriptedChatModel a = arithmeticTeam();
        ScriptedChatModel b = arithmeticTeam();
        ScriptedChatModel c = arithmeticTeam();
        runner.runGroup(arith.task(), TeamRunner.shared(runner.team(), a), PARAMS, 2, Seeds.derive(7, 0));
        runner.runGroup(arith.task(), TeamRunner.shared(runner.team(), b), PARAMS, 2, Seeds.derive(7, 0));
        runner.runGroup(arith.task(), TeamRunner.shared(runner.team(), c), PARAMS, 2, Seeds.derive(7, 1));
        long[] seedsA = a.calls.stream().mapToLong(x -> x.params().seed()).toArray();
        long[] seedsB = b.calls.stream().mapToLong(x -> x.params().seed()).toArray();
        long[] seedsC = c.calls.stream().mapToLong(x -> x.params().seed()).toArray();
        assertArrayEquals(seedsA, seedsB);
        assertNotEquals(seedsA[0], seedsA[1], "stages get different seeds");
        assertNotEquals(seedsA[0], seedsC[0], "groups get different seeds");
        assertEquals(PARAMS.temperature(), a.calls.get(0).params().temperature());
    }

    @Test
    void votingMajorityByEquivalenceWithTiesToTheFirstVoter() {
        TaskRecord task = new TaskRecord("t/1", "test", "What is 1/2 as a decimal?", "\\frac{1}{2}", AnswerKind.LATEX);
        // Episode 0: \frac12, 0.5, 3 -> 1/2 (two equivalent votes). Episode 1: 3, 1/2, 3 -> 3. Episode 2: 3, 0.5, no answer.
        String[][] replies = {
                {"\\boxed{\\frac12}", "so \\boxed{0.5}", "\\boxed{3}"},
                {"\\boxed{3}", "\\boxed{1/2}", "\\boxed{3}"},
                {"\\boxed{3}", "\\boxed{0.5}", "I do not know"}};
        ScriptedChatModel model = new ScriptedChatModel((conversation, row, seed) -> replies[row / 3][row % 3]);
        TeamRunner runner = new TeamRunner(TeamSpec.voting(3), new PromptLibrary(), verifier);
        List<Episode> group = runner.runGroup(task, TeamRunner.shared(runner.team(), model), PARAMS, 3, 3L);

        assertEquals(1, model.calls.size(), "all voters of all episodes in one call");
        assertEquals(9, model.calls.get(0).conversations().size());
        assertEquals(List.of("\\frac12", "3", "3"), group.stream().map(Episode::finalAnswer).toList());
        assertEquals(List.of(1.0, 0.0, 0.0), group.stream().map(Episode::reward).toList());
        assertEquals(List.of("voter", "voter", "voter"), group.get(0).turns().stream().map(AgentTurn::role).toList());

        List<CounterfactualResult> cf = runner.counterfactuals(jobs(task, group, 3L), Map.of(), PARAMS, 4).stream()
                .flatMap(List::stream).toList();
        assertEquals(9, cf.size(), "one per episode and voter");
        assertEquals(1, model.calls.size(), "no model call");
        // Episode 0 without voter 0: 0.5 vs 3 tie -> 0.5 (voter 1 first) -> right; without voter 2: right.
        assertEquals(List.of("0.5", "\\frac12", "\\frac12"), cf.subList(0, 3).stream().map(r -> r.answers().get(0)).toList());
        assertEquals(List.of(1.0, 1.0, 1.0), cf.subList(0, 3).stream().map(CounterfactualResult::meanReward).toList());
        // Episode 2 without voter 0: only 0.5 is left -> right, so voter 0's contribution c = 0 - 1 = -1.
        CounterfactualResult withoutFirst = cf.get(6);
        assertEquals(2, withoutFirst.groupIndex());
        assertEquals(0, withoutFirst.maskedAgentId());
        assertEquals(CounterfactualMethod.RECOMPUTE, withoutFirst.method());
        assertEquals(1, withoutFirst.samples());
        assertEquals(1.0, withoutFirst.meanReward());
        assertEquals(-1.0, group.get(2).reward() - withoutFirst.meanReward());
    }

    @Test
    void choiceTasksShowOptionsAndScoreLetters() {
        TaskRecord task = new TaskRecord("logiqa2/test/0", "logiqa2", "Guo Shu is an ascetic.\n\nWhich can be inferred?",
                "D", AnswerKind.CHOICE, List.of("from Zhenyuan", "not from Zhenyuan", "from Anxi", "not from Anxi"));
        ScriptedChatModel model = new ScriptedChatModel((conversation, row, seed) ->
                row == 0 ? "The answer is (D)." : "\\boxed{not from Anxi}");
        TeamRunner runner = new TeamRunner(TeamSpec.voting(2), new PromptLibrary(), verifier);
        List<Episode> group = runner.runGroup(task, TeamRunner.shared(runner.team(), model), PARAMS, 1, 0L);
        String prompt = ScriptedChatModel.user(model.calls.get(0).conversations().get(0));
        assertTrue(prompt.contains("\nA. from Zhenyuan") && prompt.contains("\nD. not from Anxi"), prompt);
        assertTrue(ScriptedChatModel.system(model.calls.get(0).conversations().get(0)).contains("letter"));
        assertEquals("D", group.get(0).finalAnswer());
        assertEquals(1.0, group.get(0).reward());
    }

    @Test
    void votingWithSeparatePoliciesLooksUpEachVoter() {
        TeamSpec spec = TeamSpec.voting(2, true);
        assertEquals(java.util.Set.of("voter0", "voter1"), spec.policyKeys());
        ScriptedChatModel v0 = new ScriptedChatModel((c, r, s) -> "\\boxed{1}");
        ScriptedChatModel v1 = new ScriptedChatModel((c, r, s) -> "\\boxed{2}");
        TeamRunner runner = new TeamRunner(spec, new PromptLibrary(), verifier);
        TaskRecord task = new TaskRecord("t", "test", "1?", "1", AnswerKind.NUMERIC);
        List<Episode> group = runner.runGroup(task, Map.of("voter0", v0, "voter1", v1), PARAMS, 2, 0L);
        assertEquals(1, v0.calls.size());
        assertEquals(2, v0.calls.get(0).conversations().size());
        assertEquals("1", group.get(0).finalAnswer(), "tie 1 vs 2 goes to voter 0");
    }
}
