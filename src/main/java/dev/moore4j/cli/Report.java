package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.eval.EvalReport;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Plain-text tables of evaluation reports and run summaries. */
final class Report {
    private Report() {}

    /** One row per task, one column per report; the headline metric of each task, then "overall". */
    static String table(List<String> columns, List<JsonNode> reports) {
        Set<String> tasks = new LinkedHashSet<>();
        reports.forEach(r -> r.path("tasks").fieldNames().forEachRemaining(tasks::add));
        StringBuilder sb = new StringBuilder(String.format("%-12s", "task"));
        columns.forEach(c -> sb.append(String.format(" %16s", c)));
        sb.append('\n');
        for (String t : tasks) {
            sb.append(String.format("%-12s", t));
            for (JsonNode r : reports) {
                JsonNode m = r.path("tasks").path(t);
                String metric = EvalReport.headlineMetric(r, t);
                sb.append(String.format(" %16s", m.has(metric) ? String.format("%.4f %s", m.get(metric).asDouble(), short3(metric)) : "-"));
            }
            sb.append('\n');
        }
        sb.append(String.format("%-12s", "overall"));
        reports.forEach(r -> sb.append(String.format(" %16.4f", r.path("overall").asDouble())));
        return sb.append('\n').toString();
    }

    private static String short3(String metric) {
        return switch (metric) {
            case "accuracy" -> "acc";
            case "spearman" -> "rho";
            default -> metric;
        };
    }

    static String summaryText(JsonNode s) {
        StringBuilder sb = new StringBuilder();
        List<String> cols = new ArrayList<>();
        List<JsonNode> reps = new ArrayList<>();
        if (s.has("eval")) {
            cols.add("last");
            reps.add(s.get("eval"));
        }
        if (s.has("best")) {
            cols.add("best@" + s.path("best_step").asInt());
            reps.add(s.get("best"));
        }
        if (!reps.isEmpty()) {
            sb.append(table(cols, reps));
        }
        sb.append(String.format("steps %d/%d, %.1f s training, %.1f examples/s, %.0f tokens/s%n", s.path("steps").asInt(),
                s.path("total_steps").asInt(), s.path("train_seconds").asDouble(), s.path("train_examples_per_second").asDouble(),
                s.path("train_tokens_per_second").asDouble()));
        JsonNode ob = s.path("oblivion");
        for (Iterator<Map.Entry<String, JsonNode>> it = ob.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            sb.append(String.format("oblivion %s = %.4f%n", e.getKey(), e.getValue().asDouble()));
        }
        JsonNode r = s.path("roofline");
        if (r.has("fraction_of_roofline")) {
            sb.append(String.format("throughput %.1f GFLOP/s = %.2f of the matmul roofline (%.1f GFLOP/s)%n", r.get("train_gflops").asDouble(),
                    r.get("fraction_of_roofline").asDouble(), r.get("matmul_gflops").asDouble()));
        }
        return sb.toString().stripTrailing();
    }
}
