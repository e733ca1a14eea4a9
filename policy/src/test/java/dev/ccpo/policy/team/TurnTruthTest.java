package dev.ccpo.policy.team;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ccpo.policy.Completion;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.policy.data.ArithmeticTask;
import dev.ccpo.policy.data.ArithmeticTaskGenerator;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;
import dev.ccpo.policy.reward.Verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TurnTruthTest {
    private static Verifier verifier;

    // "Compute ((7 * 3) + 2) - 5.": steps 7 * 3 = 21, 21 + 2 = 23, 23 - 5 = 18.
    private static final TaskRecord TASK = new TaskRecord("synthetic-arith/1/0", ArithmeticTaskGenerator.DATASET,
            "Compute ((7 * 3) + 2) - 5.", "18", AnswerKind.NUMERIC);

    @BeforeAll
    static void start() { verifier = new Verifier(); }

    @AfterAll
    static void stop() { verifier.close(); }

    private static AgentTurn turn(int agent, String role, String text) {
        return new AgentTurn(agent, role, new int[0], new int[0], new float[0], text, Completion.FinishReason.END_OF_TURN, null);
    }

    private static List<Boolean> thinkReason(String plan, String answer) {
        return TurnTruth.judge(TeamSpec.thinkReason(), TASK,
                List.of(turn(0, "thinker", plan), turn(1, "reasoner", answer)), verifier);
    }

    @Test
    void arithmeticTasksReadBackFromTheirQuestion() {
        ArithmeticTask t = ArithmeticTask.parse(TASK).orElseThrow();
        assertEquals("Step 1: 7 * 3 = 21\nStep 2: 21 + 2 = 23\nStep 3: 23 - 5 = 18", t.plan());
        ArithmeticTaskGenerator gen = new ArithmeticTaskGenerator(5, 4, 1, 20);
        for (int i = 0; i < 200; i++) {
            ArithmeticTask generated = gen.task(i);
            assertEquals(generated.steps(), ArithmeticTask.parse(generated.task()).orElseThrow().steps(), generated.expression());
        }
        assertTrue(ArithmeticTask.parse(new TaskRecord("gsm8k/1", "gsm8k", "Compute 1 + 2.", "3", AnswerKind.NUMERIC)).isEmpty(),
                "another dataset");
        assertTrue(ArithmeticTask.parse(new TaskRecord("synthetic-arith/x", ArithmeticTaskGenerator.DATASET,
                "Compute 1 + 2.", "4", AnswerKind.NUMERIC)).isEmpty(), "does not evaluate to the reference");
    }

    @Test
    void aRightPlanAndAReasonerThatFinishesItAreBothRight() {
        assertEquals(List.of(true, true), thinkReason("Step 1: 7 * 3 = 21\nStep 2: 21 + 2 = 23", "23 - 5 = 18\n\\boxed{18}"));
        assertEquals(List.of(true, true), thinkReason("Step 1: 7 * 3 = 21\nStep 2: 21 + 2 = 23\nStep 3: 23 - 5 = 18", "\\boxed{18}"));
    }

    @Test
    void aWrongPlanCarriedThroughFaithfullyIsTheThinkersMistakeOnly() {
        // Step 2 states 24 (should be 23): the Thinker is wrong. From 24 the remaining step gives 24 - 5 = 19: a
        // Reasoner answering 19 did its part (right) though the team answer is wrong; one answering 18 did not follow
        // the plan it was given (it solved the task by itself): wrong by this definition.
        assertEquals(List.of(false, true), thinkReason("Step 1: 7 * 3 = 21\nStep 2: 21 + 2 = 24", "\\boxed{19}"));
        assertEquals(List.of(false, false), thinkReason("Step 1: 7 * 3 = 21\nStep 2: 21 + 2 = 24", "\\boxed{18}"));
    }

    @Test
    void aRightPlanWastedByTheReasonerIsTheReasonersMistakeOnly() {
        assertEquals(List.of(true, false), thinkReason("Step 1: 7 * 3 = 21", "\\boxed{17}"));
        assertEquals(List.of(true, false), thinkReason("Step 1: 7 * 3 = 21", "no answer"));
    }

    @Test
    void aPlanWithoutStepsIsWrongAndLeavesTheWholeTaskToTheReasoner() {
        assertEquals(List.of(false, true), thinkReason("I think it is easy.", "\\boxed{18}"));
        // A misnumbered line is a wrong plan; it counts as one step that ended at 23, so the Reasoner owes steps 2
        // and 3 from 23: 23 + 2 = 25, 25 - 5 = 20.
        assertEquals(20, TurnTruth.expectedAfter(ArithmeticTask.parse(TASK).orElseThrow(), "Step 2: 21 + 2 = 23"));
        assertEquals(List.of(false, true), thinkReason("Step 2: 21 + 2 = 23", "\\boxed{20}"));
        assertEquals(List.of(false, false), thinkReason("Step 2: 21 + 2 = 23", "\\boxed{23}"));
    }

    @Test
    void skippedTurnsAndOtherDatasetsAreUnknown() {
        AgentTurn skipped = new AgentTurn(1, "reasoner", new int[0], new int[0], new float[0], "", Completion.FinishReason.SKIPPED, null);
        List<Boolean> truth = TurnTruth.judge(TeamSpec.thinkReason(), TASK, List.of(turn(0, "thinker", "x".repeat(50)), skipped), verifier);
        assertEquals(Arrays.asList(false, null), truth);
        TaskRecord gsm = new TaskRecord("gsm8k/1", "gsm8k", "How many?", "18", AnswerKind.NUMERIC);
        assertEquals(Arrays.asList(null, null), TurnTruth.judge(TeamSpec.thinkReason(), gsm,
                List.of(turn(0, "thinker", "plan"), turn(1, "reasoner", "\\boxed{18}")), verifier));
    }

    @Test
    void votersAreRightWhenTheirOwnAnswerIs_anyDataset() {
        TaskRecord gsm = new TaskRecord("gsm8k/1", "gsm8k", "How many?", "18", AnswerKind.NUMERIC);
        List<Boolean> truth = TurnTruth.judge(TeamSpec.voting(3), gsm,
                List.of(turn(0, "voter", "\\boxed{18}"), turn(1, "voter", "\\boxed{17}"), turn(2, "voter", "no idea")), verifier);
        assertEquals(List.of(true, false, false), truth);
    }

    @Test
    void teamRunnerJudgesEveryTurnOfItsEpisodes() {
        // Thinker right in even episodes (wrong second step in odd ones); the Reasoner copies the plan's last result.
        ArithmeticTask arith = ArithmeticTask.parse(TASK).orElseThrow();
        Pattern last = Pattern.compile("= (-?\\d+)\\s*$");
        ScriptedChatModel model = new ScriptedChatModel((conversation, row, seed) -> {
            if (ScriptedChatModel.system(conversation).contains("Thinker in a team"))
                return row % 2 == 0 ? arith.plan() : "Step 1: 7 * 3 = 21\nStep 2: 21 + 2 = 24\nStep 3: 24 - 5 = 19";
            Matcher m = last.matcher(ScriptedChatModel.user(conversation));
            return m.find() ? "\\boxed{" + m.group(1) + "}" : "\\boxed{0}";
        });
        TeamRunner runner = new TeamRunner(TeamSpec.thinkReason(), new PromptLibrary(), verifier);
        List<Episode> group = runner.runGroup(TASK, TeamRunner.shared(runner.team(), model),
                new SamplingParams(1.0f, 1.0f, 128, List.of(), 0L), 4, 7L);
        List<List<Boolean>> truth = new ArrayList<>();
        for (Episode e : group) truth.add(e.turns().stream().map(AgentTurn::correct).toList());
        assertEquals(List.of(List.of(true, true), List.of(false, true), List.of(true, true), List.of(false, true)), truth);
        assertEquals(List.of(1.0, 0.0, 1.0, 0.0), group.stream().map(Episode::reward).toList());
        assertFalse(group.get(1).turns().get(0).correct());
    }
}
