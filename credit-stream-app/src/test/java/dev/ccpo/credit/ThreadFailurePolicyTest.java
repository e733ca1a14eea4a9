package dev.ccpo.credit;

import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ThreadFailurePolicyTest {
    private static final Clock T0 = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    private static StreamsException commitFailed() {
        // What the stream thread threw in CI when the transaction coordinator's broker was killed mid-run.
        return new StreamsException("Error encountered trying to commit a transaction",
                new InvalidTxnStateException("The producer attempted a transactional operation in an invalid state."));
    }

    @Test
    void brokerCausedFailuresReplaceTheThread() {
        ThreadFailurePolicy p = new ThreadFailurePolicy(3, Duration.ofMinutes(1), T0);
        assertEquals(REPLACE_THREAD, p.handle(commitFailed()));
        assertEquals(REPLACE_THREAD, p.handle(new StreamsException(new TimeoutException("metadata"))));
    }

    @Test
    void ourOwnFailuresAndUndecodableRecordsShutTheClientDown() {
        ThreadFailurePolicy p = new ThreadFailurePolicy(3, Duration.ofMinutes(1), T0);
        assertEquals(SHUTDOWN_CLIENT, p.handle(new StreamsException(new IllegalStateException("bug"))));
        assertEquals(SHUTDOWN_CLIENT, p.handle(new StreamsException(new SerializationException("bad bytes"))));
        assertEquals(SHUTDOWN_CLIENT, p.handle(new StreamsException("task corrupted")));
    }

    @Test
    void aThreadThatKeepsFailingShutsTheClientDownUntilTheWindowHasPassed() {
        Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
        Clock clock = new Clock() {
            public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
            public Clock withZone(java.time.ZoneId z) { return this; }
            public Instant instant() { return now[0]; }
        };
        ThreadFailurePolicy p = new ThreadFailurePolicy(2, Duration.ofMinutes(1), clock);
        assertEquals(REPLACE_THREAD, p.handle(commitFailed()));
        assertEquals(REPLACE_THREAD, p.handle(commitFailed()));
        assertEquals(SHUTDOWN_CLIENT, p.handle(commitFailed()));
        now[0] = now[0].plusSeconds(61);
        assertEquals(REPLACE_THREAD, p.handle(commitFailed()));
    }
}
