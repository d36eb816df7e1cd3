package dev.moore4j.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * Per-task metrics, each task's headline metric (its spec's {@code metric}: METHODS §4 gives accuracy, MCC for
 * CoLA, Spearman for STS-B) and their mean, the inference cost, and warnings about degenerate predictions (a task
 * whose predictions all fall in one class has collapsed, whatever its accuracy). Serialises as
 * {@code {"tasks": {NAME: {METRIC: value}}, "headline": {NAME: METRIC}, "overall": x, "ms_per_example": t, "warnings": […]}}.
 */
public record EvalReport(Map<String, Map<String, Double>> tasks, Map<String, String> headline, double overall,
                         @JsonProperty("ms_per_example") double msPerExample, List<String> warnings) {
    public EvalReport {
        headline = headline == null ? Map.of() : headline;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /**
     * The one rule for a task's headline metric in a stored evaluation ({@code eval} as serialised above): the metric
     * its spec named, as recorded; for evaluations recorded before the report named it, the rule they were computed
     * with (MCC for CoLA, Spearman where present, else accuracy).
     */
    public static String headlineMetric(JsonNode eval, String task) {
        JsonNode named = eval.path("headline").path(task);
        if (named.isTextual()) {
            return named.asText();
        }
        JsonNode m = eval.path("tasks").path(task);
        return m.has("mcc") && task.equals("cola") ? "mcc" : m.has("spearman") ? "spearman" : "accuracy";
    }

    /** The value of a task's headline metric in a stored evaluation (NaN if the task or metric is absent). */
    public static double headlineValue(JsonNode eval, String task) {
        return eval.path("tasks").path(task).path(headlineMetric(eval, task)).asDouble(Double.NaN);
    }
}
