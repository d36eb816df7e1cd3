package dev.moore4j.task;

import java.util.List;

/**
 * One labelled example of a task.
 *
 * @param task    task name
 * @param text    first text (sentence, or question / context for multiple choice)
 * @param pair    second text of a sentence pair, or null
 * @param choices the candidate answers (multiple choice), else empty
 * @param label   index into the task's labels (classification) or into {@code choices}; -1 for regression
 * @param target  regression target (NaN otherwise)
 * @param source  file:line the example came from, for error messages
 */
public record Example(String task, String text, String pair, List<String> choices, int label, float target, String source) {
    public Example {
        choices = choices == null ? List.of() : List.copyOf(choices);
    }
}
