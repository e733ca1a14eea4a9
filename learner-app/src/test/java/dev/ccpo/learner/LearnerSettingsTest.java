package dev.ccpo.learner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ccpo.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LearnerSettingsTest {
    @Test
    void defaultsAreLearnerKeysDefaults() {
        LearnerSettings s = LearnerSettings.from(Config.of(LearnerKeys.spec(), Map.of()));
        assertEquals(List.of("thinker", "reasoner"), s.roles());
        assertEquals(LearnerSettings.Sharing.PER_ROLE, s.sharing());
        assertEquals(16, s.batchGroups());
        assertEquals(10, s.alternateSteps());
        assertEquals(Path.of("/tmp/ccpo-learner-ckpt"), s.checkpointDir());
        assertEquals("tiny", s.modelId());
        assertEquals(PpoLoss.ClipMode.TURN, s.loss().mode());
        assertEquals("ccpo-learner-0", s.kafka().transactionalId());
    }

    @Test
    void wordsBecomeEnumsAndTheModelIdFollowsItsRule() {
        LearnerSettings s = LearnerSettings.from(Config.of(LearnerKeys.spec(), Map.of(
                "policy.sharing", "shared", "roles", " a, b ,", "model.dir", "/models/qwen-0.5b", "clip.mode", "token")));
        assertEquals(LearnerSettings.Sharing.SHARED, s.sharing());
        assertEquals(List.of("a", "b"), s.roles());
        assertEquals("qwen-0.5b", s.modelId());
        assertEquals(PpoLoss.ClipMode.TOKEN, s.loss().mode());
        assertEquals("m", LearnerSettings.modelId("m", "/models/qwen-0.5b"));
        assertThrows(IllegalArgumentException.class,
                () -> LearnerSettings.from(Config.of(LearnerKeys.spec(), Map.of("roles", " , "))));
    }
}
