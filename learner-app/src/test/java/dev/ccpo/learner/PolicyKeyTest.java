package dev.ccpo.learner;

import dev.ccpo.avro.AgentAdvantage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PolicyKeyTest {
    static AgentAdvantage voter(int agent) {
        AgentAdvantage a = TestRecords.advantage("g", 3, 1, true, 0.5, List.of(4), List.of(-0.1f));
        a.setRole("voter");
        a.setAgentId(agent);
        return a;
    }

    @Test
    void perVoterPoliciesWhenTheLearnerHasThem_elseTheRolesPolicy() {
        // --roles=voter0,voter1,voter2: voter k trains its own policy.
        assertEquals("voter2", Learner.policyKey(voter(2), Set.of("voter0", "voter1", "voter2")));
        // --roles=voter (shared): every voter trains the one policy.
        assertEquals("voter", Learner.policyKey(voter(2), Set.of("voter")));
        // THINK_REASON records keep their role.
        assertEquals("thinker", Learner.policyKey(TestRecords.advantage("g", 2, 1, true, 0.5, List.of(4), List.of(-0.1f)),
                Set.of("thinker", "reasoner")));
    }
}
