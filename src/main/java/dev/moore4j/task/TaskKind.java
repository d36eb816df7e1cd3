package dev.moore4j.task;

import dev.moore4j.MooreException;

/** How a task's examples are scored: one head shape and loss per kind (METHODS §3). */
public enum TaskKind {
    /** Pick one of a fixed label set (softmax cross-entropy). */
    CLASSIFICATION,
    /** Predict a real number (mean squared error). */
    REGRESSION,
    /** Pick one of the choices given with each example (score every (question, choice) pair, softmax over them). */
    MULTIPLE_CHOICE;

    public static TaskKind parse(String s, String where) {
        return switch (s.toLowerCase().replace('_', '-')) {
            case "classification" -> CLASSIFICATION;
            case "regression" -> REGRESSION;
            case "multiple-choice" -> MULTIPLE_CHOICE;
            default -> throw new MooreException(where + ": field 'kind' is '" + s
                    + "', expected classification, regression or multiple-choice");
        };
    }

    public String label() {
        return name().toLowerCase().replace('_', '-');
    }
}
