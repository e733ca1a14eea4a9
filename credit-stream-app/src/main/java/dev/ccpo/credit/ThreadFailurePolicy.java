package dev.ccpo.credit;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a failed stream thread does. A failure that the brokers caused (a transaction the coordinator aborted while
 * a broker was down, {@code InvalidTxnStateException}; a timed-out request) replaces the thread: under
 * exactly-once its open transaction is aborted and the new thread re-reads from the last commit, so nothing is
 * lost or doubled (cf. KAFKA-19690, a stall past {@code transaction.timeout.ms} answered with a fatal error). Any
 * other failure (a bug in our processors, a record that cannot be decoded past the dead-letter path) shuts the
 * client down, as does a thread that keeps failing: more than {@code maxReplacements} replacements within
 * {@code window}.
 */
final class ThreadFailurePolicy implements StreamsUncaughtExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ThreadFailurePolicy.class);

    private final int maxReplacements;
    private final Duration window;
    private final Clock clock;
    private final Deque<Long> replacedAt = new ArrayDeque<>();

    ThreadFailurePolicy(int maxReplacements, Duration window, Clock clock) {
        this.maxReplacements = maxReplacements;
        this.window = window;
        this.clock = clock;
    }

    /** Ten replacements in ten minutes: a broker failover costs one or two. */
    static ThreadFailurePolicy standard() { return new ThreadFailurePolicy(10, Duration.ofMinutes(10), Clock.systemUTC()); }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable e) {
        if (!causedByBrokers(e)) {
            log.error("stream thread failed; shutting the client down", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = clock.millis();
        while (!replacedAt.isEmpty() && replacedAt.peekFirst() < now - window.toMillis()) replacedAt.pollFirst();
        if (replacedAt.size() >= maxReplacements) {
            log.error("stream thread failed {} times within {} on broker errors; shutting the client down",
                    replacedAt.size() + 1, window, e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replacedAt.addLast(now);
        log.warn("stream thread failed on a broker error ({}); replacing it (its transaction is aborted and its "
                + "input re-read from the last commit)", rootCause(e).toString());
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /**
     * True when the innermost cause is a Kafka client or broker error other than a serialization failure: those
     * are the failures a fresh producer and consumer recover from.
     */
    static boolean causedByBrokers(Throwable e) {
        Throwable root = rootCause(e);
        return root instanceof KafkaException && !(root instanceof SerializationException)
                && !(root instanceof org.apache.kafka.streams.errors.StreamsException);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
