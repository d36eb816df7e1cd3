package dev.moore4j.api;

import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;

/** What an input must hold for its task's kind: the one check of the API, the server, the CLI and Spark. */
public final class Inputs {
    private Inputs() {}

    /** Refuses an input whose shape is not its task kind's ({@link InvalidInput} names the field); the one check of every caller. */
    public static void check(TaskSpec spec, AdaptedModel.Input in) {
        boolean choice = spec.kind() == TaskKind.MULTIPLE_CHOICE;
        if (!choice && !in.choices().isEmpty()) {
            throw new InvalidInput("choices", "task '" + spec.name() + "' is " + spec.kind().label() + ", not multiple choice");
        }
        if (in.text() == null || in.text().isEmpty()) {
            throw new InvalidInput(choice ? "question" : "text", in.text() == null ? "missing" : "empty");
        }
        if (choice && in.choices().size() < 2) {
            throw new InvalidInput("choices", "task '" + spec.name() + "' is multiple choice: give at least two choices");
        }
        for (int c = 0; c < in.choices().size(); c++) {
            if (in.choices().get(c) == null || in.choices().get(c).isEmpty()) {
                throw new InvalidInput("choices[" + c + "]", "empty choice");
            }
        }
    }
}
