package dev.moore4j.eval;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * Per-task metrics and the headline mean (METHODS §4: accuracy, MCC for CoLA, Spearman for STS-B), the
 * inference cost, and warnings about degenerate predictions (a task whose predictions all fall in one
 * class has collapsed, whatever its accuracy). Serialises as
 * {@code {"tasks": {NAME: {METRIC: value}}, "overall": x, "ms_per_example": t, "warnings": […]}}.
 */
public record EvalReport(Map<String, Map<String, Double>> tasks, double overall,
                         @JsonProperty("ms_per_example") double msPerExample, List<String> warnings) {
    public EvalReport {
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }
}
