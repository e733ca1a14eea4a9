package dev.ccpo.kafka;

/** The input record is invalid (not a transient failure): it goes to the dead-letter topic with this message. */
public class RejectedRecordException extends RuntimeException {
    public RejectedRecordException(String reason) { super(reason); }
}
