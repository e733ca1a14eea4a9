package dev.ccpo.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    @Test
    void showsRateAndEtaAndThrottles() {
        AtomicLong now = new AtomicLong(0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress("train", "steps", 100, 1000, new PrintStream(bytes, true), now::get);

        now.set(500_000_000L);
        p.update(5, null);
        assertEquals("", bytes.toString(), "throttled within the interval");

        now.set(10_000_000_000L);
        p.update(25, "loss 0.5");
        String line = bytes.toString().trim();
        assertTrue(line.contains("25/100 steps"), line);
        assertTrue(line.contains("2.50 steps/s"), line);
        assertTrue(line.contains("ETA 30s"), line);
        assertTrue(line.endsWith("| loss 0.5"), line);
    }

    @Test
    void formatsDurations() {
        assertEquals("59s", Progress.duration(59));
        assertEquals("2m05s", Progress.duration(125));
        assertEquals("1h01m", Progress.duration(3660));
    }
}
