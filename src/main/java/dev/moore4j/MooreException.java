package dev.moore4j;

/**
 * A user-facing error: the message is one line that names the offending file, tensor or field.
 * The CLI prints only the message (no stack trace) and exits with status 2.
 */
public class MooreException extends RuntimeException {
    public MooreException(String message) {
        super(message);
    }

    public MooreException(String message, Throwable cause) {
        super(message, cause);
    }
}
