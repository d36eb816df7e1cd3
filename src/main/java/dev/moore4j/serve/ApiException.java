package dev.moore4j.serve;

/** A request the server refuses: its HTTP status, the request field at fault (may be null) and why. */
final class ApiException extends RuntimeException {
    final int status;
    final String param;

    ApiException(int status, String param, String message) {
        super(message);
        this.status = status;
        this.param = param;
    }
}
