package dev.ccpo.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ccpo.config.Config;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoSettingsTest {
    @Test
    void defaultsAreTheSpecsDefaults() {
        DemoSettings s = DemoSettings.from(Config.of(Demo.spec(), Map.of()));
        assertEquals(DemoSettings.CreditMode.CCPO, s.creditMode());
        assertEquals(DemoSettings.Team.THINK_REASON, s.team());
        assertEquals(DemoSettings.Security.PLAINTEXT, s.security());
        assertEquals(List.of(), s.voterShares(), "voting.strengths is read for team=voting only");
        assertTrue(s.workDir().isAbsolute());
        assertEquals(s.workDir().resolve("report-ccpo"), s.reportPath());
        assertEquals(8, s.groupSize());
        assertEquals(2000, s.warmSteps());
    }

    @Test
    void wordsBecomeEnumsAndBack() {
        DemoSettings s = DemoSettings.from(Config.of(Demo.spec(), Map.of("credit.mode", "ccpo-bonus", "team", "voting",
                "security", "sasl", "voting.strengths", "1,0.5", "report.dir", "/tmp/r")));
        assertEquals("ccpo-bonus", s.creditMode().word());
        assertTrue(s.voting());
        assertEquals(DemoSettings.Security.SASL, s.security());
        assertEquals(List.of(1.0, 0.5), s.voterShares());
        assertEquals(Path.of("/tmp/r"), s.reportPath());
        for (DemoSettings.CreditMode m : DemoSettings.CreditMode.values())
            assertEquals(m, DemoSettings.CreditMode.parse(m.word()));
        assertThrows(IllegalArgumentException.class, () -> DemoSettings.from(Config.of(Demo.spec(),
                Map.of("team", "voting", "voting.strengths", "1"))));
    }
}
