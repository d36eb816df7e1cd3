package dev.moore4j;

/**
 * A user-facing error: the message is one line that names the offending file, tensor or field.
 * The CLI prints only the message (no stack trace) and exits with status 2.
 */
public class MooreException extends RuntimeException {
    public MooreException(String message) {
        super(oneLine(message));
    }

    public MooreException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /**
     * Names read from files (tensor names, fields, labels) may hold line breaks or control characters; they
     * are escaped so that the error stays one line and cannot forge log lines (found by fuzzing the ONNX reader).
     */
    static String oneLine(String m) {
        if (m == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(m.length());
        m.codePoints().forEach(c -> {
            if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (Character.isISOControl(c) && c != '\t') {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }
}
