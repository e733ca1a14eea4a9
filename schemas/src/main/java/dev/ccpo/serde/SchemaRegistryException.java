package dev.ccpo.serde;

/** A registry call failed; carries the registry's error code when it sent one (e.g. 409 incompatible, 40403 not found). */
public class SchemaRegistryException extends RuntimeException {
    private final int errorCode;

    public SchemaRegistryException(String message, int errorCode, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /** Confluent error code (40401, 40403, 409, 42201, ...) or the HTTP status; -1 if the registry was not reached. */
    public int errorCode() { return errorCode; }
}
