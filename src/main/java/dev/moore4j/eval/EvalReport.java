package dev.moore4j.eval;

import java.util.Map;

/**
 * Per-task metrics and the headline mean (METHODS §4: accuracy, MCC for CoLA, Spearman for STS-B).
 * Serialises as {@code {"tasks": {NAME: {METRIC: value}}, "overall": x}}.
 */
public record EvalReport(Map<String, Map<String, Double>> tasks, double overall) {}
