package dev.ccpo.infra;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaBrokerProcessTest {

    /** 1 random id in 64 starts with '-', which the storage tool's parser takes for an option (seen in CI). */
    @Test
    void clusterIdsNeverLookLikeAnOption() {
        for (int i = 0; i < 10_000; i++) {
            String id = KafkaBrokerProcess.newClusterId();
            assertFalse(id.startsWith("-"), id);
            assertEquals(22, id.length(), id);
        }
    }

    /** Ports inside the ephemeral range can be taken by any client connection before the broker binds them. */
    @Test
    void freePortsLieBelowTheEphemeralRangeAndCanBeBound() throws Exception {
        int below = KafkaBrokerProcess.ephemeralRangeStart();
        for (int i = 0; i < 50; i++) {
            int port = KafkaBrokerProcess.freePort();
            assertTrue(port >= 10_000 && port < below, port + " not in [10000, " + below + ")");
            try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                assertEquals(port, s.getLocalPort());
            }
        }
    }
}
