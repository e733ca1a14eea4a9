package dev.ccpo.demo.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvalTableTest {
    private static EvalTable table(double a, double b) {
        EvalTable t = new EvalTable(List.of("CoT", "THINK_REASON"), List.of("synthetic", "gsm8k"));
        t.put("CoT", "synthetic", new EvalTable.Cell(a, 10, 0));
        t.put("CoT", "gsm8k", new EvalTable.Cell(b, 10, 0));
        t.put("THINK_REASON", "synthetic", new EvalTable.Cell(b, 10, 0));
        return t;
    }

    @Test
    void combinePutsRunsSideBySide() {
        Map<String, EvalTable> runs = new LinkedHashMap<>();
        runs.put("ccpo", table(0.5, 0.25));
        runs.put("shared", table(0.1, 0.2));
        EvalTable c = EvalTable.combine(runs);
        assertEquals(List.of("ccpo: CoT", "ccpo: THINK_REASON", "shared: CoT", "shared: THINK_REASON"), c.methods());
        assertEquals(0.5, c.accuracy("ccpo: CoT", "synthetic"));
        assertEquals(0.2, c.accuracy("shared: CoT", "gsm8k"));
        assertTrue(Double.isNaN(c.accuracy("shared: THINK_REASON", "gsm8k")), "missing cell stays missing");
        assertEquals(0.2, c.average("shared: THINK_REASON"), 1e-12, "average over evaluated datasets only");
        assertTrue(c.format().contains("shared: THINK_REASON"));

        runs.put("bad", new EvalTable(List.of("CoT"), List.of("math500")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvalTable.combine(runs));
        assertTrue(e.getMessage().contains("bad"), e.getMessage());
    }

    @Test
    void csvHasOneLinePerMethod() {
        String[] lines = table(0.5, 0.25).toCsv().split("\n");
        assertEquals("method,synthetic,gsm8k,avg", lines[0]);
        assertEquals("CoT,0.5,0.25,0.375", lines[1]);
        assertEquals("THINK_REASON,0.25,,0.25", lines[2]);
    }
}
