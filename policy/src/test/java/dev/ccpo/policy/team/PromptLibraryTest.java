package dev.ccpo.policy.team;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ccpo.policy.ChatMessage;
import dev.ccpo.policy.data.TaskRecord;
import dev.ccpo.policy.reward.AnswerKind;

class PromptLibraryTest {

    private final TaskRecord task = new TaskRecord("t", "test",
            "Find $\\{x \\mid x^2 = 4\\}$ and {thought} literally.", "2", AnswerKind.LATEX);

    @Test
    void fillsPlaceholdersOnceAndKeepsBracesOfTheQuestion() {
        List<ChatMessage> m = new PromptLibrary().render("think_reason.reasoner", "reasoner", task, "Step 1: 2 * 2 = 4");
        assertEquals(2, m.size());
        assertEquals("system", m.get(0).role());
        assertTrue(m.get(0).content().contains("Put your final answer within \\boxed{}."), m.get(0).content());
        String user = m.get(1).content();
        assertTrue(user.contains("Find $\\{x \\mid x^2 = 4\\}$ and {thought} literally."), user);
        assertTrue(user.endsWith("Step 1: 2 * 2 = 4"), user);
    }

    @Test
    void everyTeamTemplateExists() {
        PromptLibrary prompts = new PromptLibrary();
        for (TeamSpec spec : List.of(TeamSpec.thinkReason(), TeamSpec.voting(3))) {
            spec.agents().forEach(a -> assertTrue(prompts.template(a.template()).contains("{question}"), a.template()));
            if (spec.soloTemplate() != null) assertTrue(prompts.template(spec.soloTemplate()).contains("{question}"));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> prompts.template("nope"));
        assertTrue(e.getMessage().contains("nope"));
    }

    @Test
    void overrideFolderWins(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("voting.voter.txt"), "Be brief, {role}.\n---\nQ: {question}\n");
        List<ChatMessage> m = new PromptLibrary(dir).render("voting.voter", "voter", task, null);
        assertEquals("Be brief, voter.", m.get(0).content());
        assertTrue(m.get(1).content().startsWith("Q: Find"));
        // Templates not in the folder still come from the class path.
        assertTrue(new PromptLibrary(dir).template("think_reason.thinker").contains("Thinker"));
    }
}
