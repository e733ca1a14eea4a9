package dev.ccpo.demo.ablation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AblationPlanTest {

    @Test
    void expandsShapesThenSeedsThenModes() {
        AblationPlan plan = AblationPlan.parse("think-reason, voting", "1,2,3", "ccpo,shared,ccpo-bonus");
        List<AblationPlan.Run> runs = plan.runs();
        assertEquals(2 * 3 * 3, runs.size());
        assertEquals(new AblationPlan.Run("think-reason", 1, "ccpo"), runs.get(0));
        assertEquals(new AblationPlan.Run("think-reason", 1, "shared"), runs.get(1)); // the modes of one seed share its warm start
        assertEquals(new AblationPlan.Run("think-reason", 2, "ccpo"), runs.get(3));
        assertEquals(new AblationPlan.Run("voting", 3, "ccpo-bonus"), runs.get(17));
        assertEquals(runs.size(), runs.stream().distinct().count());
    }

    @Test
    void eachRunAppendsItsOwnKeysAfterTheBase() {
        AblationPlan.Run run = new AblationPlan.Run("voting", 2, "shared");
        String[] args = run.args(new String[] {"--budget.minutes=3", "--seed=9"}, Path.of("/w/ablation"));
        assertArrayEquals(new String[] {"--budget.minutes=3", "--seed=9", "--team=voting", "--seed=2", "--credit.mode=shared",
                "--report.dir=" + Path.of("/w/ablation/voting/seed2/shared")}, args);
    }

    @Test
    void messagesNameTheKeyAndWhatItAccepts() {
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> AblationPlan.parse("star", "1", "ccpo"));
        assertTrue(shape.getMessage().contains("ablation.shapes") && shape.getMessage().contains("think-reason"), shape.getMessage());
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class, () -> AblationPlan.parse("voting", "1", "ccpo,grpo"));
        assertTrue(mode.getMessage().contains("ablation.modes") && mode.getMessage().contains("'grpo'"), mode.getMessage());
        IllegalArgumentException seed = assertThrows(IllegalArgumentException.class, () -> AblationPlan.parse("voting", "1,x", "ccpo"));
        assertTrue(seed.getMessage().contains("ablation.seeds") && seed.getMessage().contains("'x'"), seed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AblationPlan.parse("voting", "1,1", "ccpo"));
        assertThrows(IllegalArgumentException.class, () -> AblationPlan.parse("voting", "-1", "ccpo"));
        assertThrows(IllegalArgumentException.class, () -> AblationPlan.parse("", "1", "ccpo"));
    }
}
