package dev.moore4j.api;

import dev.moore4j.MooreException;

/**
 * A refused input: {@code field} names what is wrong in the input's own terms ({@code text},
 * {@code question}, {@code pair}, {@code choices}, {@code choices[2]}), {@code detail} says why; the server
 * and the CLI prefix the field with where the input came from.
 */
public final class InvalidInput extends MooreException {
    private final String field;
    private final String detail;

    InvalidInput(String field, String detail) {
        super(field + ": " + detail);
        this.field = field;
        this.detail = detail;
    }

    public String field() {
        return field;
    }

    public String detail() {
        return detail;
    }
}
