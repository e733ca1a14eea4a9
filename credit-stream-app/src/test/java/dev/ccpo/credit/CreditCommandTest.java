package dev.ccpo.credit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ccpo.avro.AgentAdvantage;
import dev.ccpo.avro.CounterfactualOutcome;
import dev.ccpo.avro.CreditMode;
import dev.ccpo.avro.Topology;
import dev.ccpo.config.Config;
import dev.ccpo.config.Roles;
import dev.ccpo.credit.CreditMath.History;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CreditCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static CreditSettings settings(String... args) {
        return CreditSettings.from(Config.load(CreditSettings.spec(), args, Map.of()));
    }

    /** Runs the command on the lines; returns the output lines parsed, and the error count in errors[0]. */
    static List<JsonNode> run(CreditSettings s, int[] errors, String... lines) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        errors[0] = CreditCommand.run(s, new BufferedReader(new StringReader(String.join("\n", lines))),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<JsonNode> out = new ArrayList<>();
        for (String l : bytes.toString(StandardCharsets.UTF_8).split("\n")) if (!l.isEmpty()) out.add(JSON.readTree(l));
        return out;
    }

    static double[] row(JsonNode n) {
        double[] x = new double[n.size()];
        for (int i = 0; i < x.length; i++) x[i] = n.get(i).doubleValue();
        return x;
    }

    @Test
    void referenceExamples_andAMalformedLineInBetween() throws Exception {
        int[] errors = new int[1];
        List<JsonNode> out = run(settings(), errors,
                // warm-up example (CreditRuleTest.warmUp_rawDeltaAndRawJoint_noTanhNoGate): Reasoner [.5,.5,.5,-1.5]
                "{\"mode\":\"ccpo\",\"topology\":\"THINK_REASON\",\"joint\":[1,1,1,0],\"counterfactual\":[0,0,1,0]}",
                "not json",
                "",
                "{\"topology\":\"TRIAD\",\"joint\":[1],\"counterfactual\":[0]}",
                "{\"topology\":\"THINK_REASON\",\"joint\":[1,0],\"counterfactual\":[0]}",
                // sigma-floor example (CreditRuleTest.sigmaFloor_referenceExample_noSignFlips): [.699, 1.006, -.699, -1.006]
                "{\"mode\":\"ccpo\",\"topology\":\"THINK_REASON\",\"joint\":[1,1,0,0],\"counterfactual\":[0,1,1,0],"
                        + "\"history\":{\"credit\":{\"count\":14,\"mean\":0.505,\"variance\":0.2475},"
                        + "\"joint\":{\"count\":14,\"mean\":0.505,\"variance\":0.2475},"
                        + "\"counterfactual\":{\"count\":14,\"mean\":0,\"variance\":0}}}",
                "{\"mode\":\"shared\",\"topology\":\"VOTING\",\"joint\":[1,0],\"counterfactual\":[[0,0],[1,0],[1,0]]}");
        assertEquals(6, out.size(), "one line per non-blank input line: " + out);
        assertEquals(3, errors[0]);
        assertEquals("[\"thinker\",\"reasoner\"]", out.get(0).get("roles").toString());
        assertArrayEquals(new double[]{0.5, 0.5, 0.5, -1.5}, row(out.get(0).get("advantages").get(1)), 1e-5);
        assertArrayEquals(new double[]{1, 1, 1, 0}, row(out.get(0).get("shaped").get(1)), 0);
        assertTrue(out.get(1).get("error").asText().startsWith("not JSON"), out.get(1).toString());
        assertEquals("topology: expected THINK_REASON or VOTING, got TRIAD", out.get(2).get("error").asText());
        assertEquals("counterfactual has 1 episodes, joint 2", out.get(3).get("error").asText());
        assertArrayEquals(new double[]{0.699, 1.006, -0.699, -1.006}, row(out.get(4).get("advantages").get(1)), 1e-3);
        // VOTING, shared: every voter gets R_joint [1,0] -> A = +-.5/(1/sqrt2 + 1e-6) = +-.7071
        assertEquals(3, out.get(5).get("advantages").size());
        assertEquals("[\"voter\",\"voter\",\"voter\"]", out.get(5).get("roles").toString());
        assertEquals(0.7071, out.get(5).get("advantages").get(2).get(0).doubleValue(), 1e-4);
    }

    @Test
    void errorsNameTheField() throws Exception {
        int[] errors = new int[1];
        List<JsonNode> out = run(settings(), errors, """
                {"topology":"THINK_REASON","joint":[1,"x"],"counterfactual":[0,0]}
                {"topology":"THINK_REASON","joint":[1],"counterfactual":[0],"mode":"bonus"}
                {"topology":"THINK_REASON","joint":[1],"counterfactual":[0],"histroy":{}}
                {"topology":"THINK_REASON","joint":[1],"counterfactual":[0],"history":{"joint":{"count":3,"mean":0,"variance":-1}}}
                [1,2]""".lines().toArray(String[]::new));
        assertEquals(5, errors[0]);
        assertEquals("joint[1]: expected a finite number, got \"x\"", out.get(0).get("error").asText());
        assertEquals("credit.mode: expected ccpo, ccpo-bonus or shared, got bonus", out.get(1).get("error").asText());
        assertTrue(out.get(2).get("error").asText().startsWith("unknown field \"histroy\""), out.get(2).toString());
        assertEquals("history.joint.variance: expected >= 0, got -1.0", out.get(3).get("error").asText());
        assertEquals("expected a JSON object per line", out.get(4).get("error").asText());
    }

    @Test
    void sameNumbersAsTheTopologysGroupCredit_withTheServiceKeys() throws Exception {
        // A group through GroupCredit (what GroupProcessor emits) and the same group through the command must agree
        // exactly, with non-default keys (no warm-up, alpha 2, eta .5) and a truncated episode masked.
        CreditSettings s = settings("--history.warmup.samples=0", "--credit.alpha=2", "--credit.eta=0.5");
        double[] joint = {1, 0, 1, 1}, solo = {0, 0, 1, 0};
        History hD = new History(40, 0.2, 0.3), hJ = new History(40, 0.6, 0.24), hS = new History(40, 0.4, 0.24);
        List<GroupCredit.Episode> eps = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            var t = Fixtures.thinkReason("g", k, 4, joint[k], 1000);
            if (k == 3) t.getTurns().get(1).setTruncated(true);
            eps.add(new GroupCredit.Episode(t, Map.<Integer, CounterfactualOutcome>of(0, Fixtures.solo("g", k, 4, solo[k], 1000))));
        }
        List<AgentAdvantage> topo = GroupCredit.compute(eps, true,
                GroupCredit.historyMap(Roles.THINKER, new History[]{hD, hJ, hS}), s.rule()).advantages();
        int[] errors = new int[1];
        JsonNode cmd = run(s, errors, "{\"mode\":\"ccpo\",\"topology\":\"THINK_REASON\",\"joint\":[1,0,1,1],\"counterfactual\":[0,0,1,0],"
                + "\"truncated\":[false,false,false,true],\"history\":{\"credit\":{\"count\":40,\"mean\":0.2,\"variance\":0.3},"
                + "\"joint\":{\"count\":40,\"mean\":0.6,\"variance\":0.24},\"counterfactual\":{\"count\":40,\"mean\":0.4,\"variance\":0.24}}}").get(0);
        assertEquals(0, errors[0], cmd.toString());
        for (AgentAdvantage a : topo) {
            assertEquals(a.getAdvantage(), cmd.get("advantages").get(a.getAgentId()).get(a.getGroupIndex()).doubleValue(), 0);
            assertEquals(a.getShapedReward(), cmd.get("shaped").get(a.getAgentId()).get(a.getGroupIndex()).doubleValue(), 0);
        }
        assertEquals(0.0, cmd.get("shaped").get(0).get(3).doubleValue(), "truncated episode masked");
        assertNotEquals(0.0, cmd.get("shaped").get(0).get(1).doubleValue(), "no warm-up with history.warmup.samples=0");
        assertEquals(CreditMode.CCPO, topo.get(0).getCreditMode());
        assertEquals(Topology.THINK_REASON, topo.get(0).getTopology());
    }
}
