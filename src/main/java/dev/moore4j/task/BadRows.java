package dev.moore4j.task;

/** What a malformed data row does: stop the read with an error naming file:line, or count it and go on. */
public enum BadRows {
    STOP, SKIP;

    public static BadRows skipping(boolean skip) {
        return skip ? SKIP : STOP;
    }
}
