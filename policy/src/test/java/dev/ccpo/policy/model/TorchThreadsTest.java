package dev.ccpo.policy.model;

import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TorchThreadsTest {
    @Test
    void automaticCountDividesTheCoresAndLeavesOneFree() {
        assertEquals(1, TorchThreads.auto(1, 1));
        assertEquals(1, TorchThreads.auto(2, 1));
        assertEquals(3, TorchThreads.auto(4, 1));
        assertEquals(15, TorchThreads.auto(16, 1));
        assertEquals(1, TorchThreads.auto(8, 4));
        assertEquals(3, TorchThreads.auto(16, 4));
        assertEquals(1, TorchThreads.auto(2, 5));
    }

    @Test
    void explicitSettingWinsAndIsApplied() {
        String before = System.getProperty(TorchThreads.PROPERTY);
        try {
            String line = TorchThreads.apply(2, 1);
            assertTrue(line.startsWith("PyTorch intra-op threads: 2 (pytorch.threads=2)"), line);
            assertEquals(2, JniUtils.getNumThreads());
            // automatic keeps an explicit -D property (the tests run with -Dai.djl.pytorch.num_threads=1)
            System.setProperty(TorchThreads.PROPERTY, "1");
            line = TorchThreads.apply(0, 1);
            assertTrue(line.contains("threads: 1 (-Dai.djl.pytorch.num_threads)"), line);
            assertEquals(1, JniUtils.getNumThreads());
        } finally {
            if (before == null) System.clearProperty(TorchThreads.PROPERTY);
            else System.setProperty(TorchThreads.PROPERTY, before);
            JniUtils.setNumThreads(before == null ? 1 : Integer.parseInt(before));
        }
    }
}
