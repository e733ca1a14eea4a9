package dev.ccpo.infra.registry;

/** An error the REST API reports as Confluent's {"error_code":..., "message":...} with the HTTP status. */
public final class RegistryException extends RuntimeException {
    private final int httpStatus;
    private final int errorCode;

    public RegistryException(int httpStatus, int errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public int httpStatus() { return httpStatus; }

    public int errorCode() { return errorCode; }
}
