package dev.ccpo.kit;

import dev.ccpo.config.CommonKeys;
import dev.ccpo.config.Config;
import dev.ccpo.config.ConfigSpec;
import dev.ccpo.config.Roles;
import dev.ccpo.policy.SamplingParams;
import dev.ccpo.testkit.TinyModels;
import dev.ccpo.worker.RolePolicies;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ModelWorkerTest {
    /** The keys ModelWorker reads, as the workers' specs declare them. */
    private static ConfigSpec spec() {
        return CommonKeys.spec("test")
                .string("worker.id", "w-1", "").string("model.dir", "", "").string("model.id", "", "")
                .string("device", "cpu", "").bool("weights.follow", false, "").string("prompts.dir", "", "")
                .decimal("temperature", 1.0, 0.0, 10.0, "").decimal("top.p", 1.0, 0.0, 1.0, "")
                .integer("max.new.tokens", 256, 1, 65_536, "").integer("max.prompt.tokens", 4096, 1, 1_000_000, "")
                .longKey("generation.time.limit.ms", 600_000L, 0L, "").longKey("seed", 0L, Long.MIN_VALUE, "");
    }

    private static ModelWorker worker(Path modelDir, String... args) {
        Config c = Config.load(spec(), args, Map.of());
        return new ModelWorker(c, c.string("worker.id"), modelDir, "tiny", c.string("device"), null, c.kafkaClientProperties());
    }

    @Test
    void samplingPromptsAndFollowerComeFromTheSettings() {
        ModelWorker w = worker(Path.of("unused"), "--temperature=0.5", "--top.p=0.9", "--max.new.tokens=7",
                "--max.prompt.tokens=99", "--generation.time.limit.ms=1234", "--seed=42");
        assertEquals(new SamplingParams(0.5f, 0.9f, 7, List.of(), 42L).withLimits(99, 1234L), w.sampling());
        assertNull(w.follower(), "weights.follow=false follows nothing");
        w.prompts(); // the built-in templates
        assertThrows(IllegalArgumentException.class, () -> worker(Path.of("unused"), "--prompts.dir=/no/such/folder").prompts());
    }

    @Test
    void policiesOpenOneModelPerRoleAtVersionZero() throws Exception {
        Path dir = TinyModels.checkpoint(1);
        try (RolePolicies<dev.ccpo.policy.ChatModel> p = worker(dir).policies(List.of(Roles.THINKER, Roles.REASONER), role -> dir, 2)) {
            assertEquals(List.of(Roles.THINKER, Roles.REASONER), List.copyOf(p.roles()));
            assertEquals(0, p.version());
            assertEquals(p.current(Roles.THINKER).model().vocabSize(), p.current(Roles.REASONER).model().vocabSize());
        }
    }
}
