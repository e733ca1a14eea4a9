package dev.ccpo.generator;

import dev.ccpo.config.Config;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GeneratorTeamTest {
    static Set<String> keys(String... args) {
        return GeneratorApp.team(Config.load(GeneratorApp.spec(), args, Map.of())).policyKeys();
    }

    @Test
    void votingPoliciesSharedOrOnePerVoter() {
        assertEquals(Set.of("voter"), keys("--topology=VOTING", "--voters=3"));
        assertEquals(Set.of("voter0", "voter1", "voter2"), keys("--topology=VOTING", "--voters=3", "--voting.policies=per-voter"));
        assertEquals(Set.of("thinker", "reasoner"), keys("--voting.policies=per-voter"));
    }
}
