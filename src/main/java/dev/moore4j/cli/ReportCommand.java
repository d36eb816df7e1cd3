package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;
import dev.moore4j.eval.EvalReport;
import dev.moore4j.report.HtmlReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * {@code moore report}: a Markdown table, mean ± std over seeds, of the runs (RUN/summary.json) under a directory;
 * or, with {@code --html}, the self-contained HTML report of a suite, a run or a directory of runs.
 */
@Command(name = "report", description = {"Markdown table (mean ± std over seeds) of the runs under DIR, grouped by method.",
        "With --html OUT.html: one self-contained page with charts (inline SVG, no script, no network) of a suite directory (its results.sqlite), "
                + "a run directory (summary.json) or a directory of runs: ranking with intervals, method x task heat map, accuracy against cost, "
                + "oblivion, learning-rate sensitivity, training curves, routing, provenance."})
public final class ReportCommand implements Runnable {
    @Parameters(index = "0", description = "A suite directory (results.sqlite) or a results.sqlite file (--html only), a run directory, or a "
            + "directory holding one subdirectory per run, each with summary.json.")
    Path dir;

    @Option(names = "--html", paramLabel = "OUT.html", description = "Write the HTML report here instead of printing the Markdown table.")
    Path html;

    @Option(names = "--suite", description = "With --html: the suite to report when the database holds several (default: the first).")
    String suite;

    @Option(names = "--routing", split = ",(?![^\\[]*\\])", paramLabel = "METHOD", description = "With --html: draw the routing of these "
            + "methods only (default: every method with a stored analysis; each adds about half a megabyte of charts).")
    List<String> routing;

    @Option(names = "--title", description = "Heading of the table.")
    String title;

    @Option(names = "--command", description = "The command that reproduces the runs, quoted in the report.")
    String command;

    @Override
    public void run() {
        if (html != null) {
            HtmlReport.write(dir, suite, html, routing == null ? null : Set.copyOf(routing));
            System.err.println("report: wrote " + html);
            return;
        }
        Map<String, List<JsonNode>> byMethod = summariesByMethod();
        if (byMethod.isEmpty()) {
            throw new MooreException(dir + ": no run directories with summary.json");
        }
        Set<String> tasks = new LinkedHashSet<>();
        byMethod.values().forEach(l -> l.forEach(n -> n.path("eval").path("tasks").fieldNames().forEachRemaining(tasks::add)));
        List<String> methods = new ArrayList<>(byMethod.keySet());
        StringBuilder sb = new StringBuilder();
        if (title != null) {
            sb.append("## ").append(title).append("\n\n");
        }
        JsonNode any = byMethod.values().iterator().next().get(0);
        sb.append("Model `").append(any.path("model").asText()).append("`; ").append(seedCounts(byMethod))
                .append(" per method; mean ± std (sample std over seeds).\n\n");
        sb.append("| task (metric) |");
        methods.forEach(m -> sb.append(' ').append(label(m)).append(" |"));
        sb.append("\n|---|");
        methods.forEach(m -> sb.append("---:|"));
        sb.append('\n');
        for (String t : tasks) {
            String metric = metricOf(t, byMethod);
            sb.append("| ").append(t).append(" (").append(metric).append(") |");
            for (String m : methods) {
                sb.append(' ').append(stat(byMethod.get(m), n -> n.path("eval").path("tasks").path(t).path(metric).asDouble(Double.NaN), 100, 1)).append(" |");
            }
            sb.append('\n');
        }
        row(sb, "**overall**", methods, byMethod, n -> n.path("eval").path("overall").asDouble(Double.NaN), 100, 1);
        row(sb, "STS-B zero-shot before (ρ×100)", methods, byMethod, n -> n.path("oblivion").path("stsb_before").asDouble(Double.NaN), 100, 1);
        row(sb, "STS-B zero-shot after (ρ×100)", methods, byMethod, n -> n.path("oblivion").path("stsb_after").asDouble(Double.NaN), 100, 1);
        row(sb, "trainable parameters", methods, byMethod, n -> n.path("trainable_parameters").asDouble(), 1, 0);
        row(sb, "training wall time (s)", methods, byMethod, n -> n.path("train_seconds").asDouble(), 1, 0);
        row(sb, "training examples/s", methods, byMethod, n -> n.path("train_examples_per_second").asDouble(), 1, 1);
        row(sb, "training tokens/s", methods, byMethod, n -> n.path("train_tokens_per_second").asDouble(), 1, 0);
        row(sb, "fraction of matmul roofline", methods, byMethod, n -> n.path("roofline").path("fraction_of_roofline").asDouble(Double.NaN), 1, 2);
        protocol(sb, any);
        if (command != null) {
            sb.append("\nReproduce: `").append(command).append("`\n");
        }
        System.out.print(sb);
    }

    /** The summary.json of every run directory under {@link #dir}, by method. */
    private Map<String, List<JsonNode>> summariesByMethod() {
        Map<String, List<JsonNode>> byMethod = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path run : s.sorted().toList()) {
                Path f = run.resolve("summary.json");
                if (Files.isRegularFile(f)) {
                    JsonNode n = Common.JSON.readTree(f.toFile());
                    byMethod.computeIfAbsent(n.path("method").asText(), k -> new ArrayList<>()).add(n);
                }
            }
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot read runs: " + e.getMessage());
        }
        return byMethod;
    }

    /** The protocol line: examples per task, length, batch, epochs, rates, schedule, clip. */
    private static void protocol(StringBuilder sb, JsonNode any) {
        JsonNode cfg = any.path("config");
        Map<String, Object> sizes = new LinkedHashMap<>();
        any.path("examples").fields().forEachRemaining(e -> sizes.put(e.getKey(), e.getValue().path("train").asInt() + "/" + e.getValue().path("eval").asInt()));
        sb.append("\nExamples per task (train/eval): ").append(sizes).append(". Max length ").append(cfg.path("maxLength").asInt())
                .append(", batch ").append(cfg.path("batchSize").asInt()).append(", epochs ").append(cfg.path("epochs").asDouble())
                .append(", lr ").append(cfg.path("lr").asDouble()).append(" (heads ").append(cfg.path("headLr").asDouble()).append("), schedule ")
                .append(cfg.path("schedule").asText()).append(" after ").append(cfg.path("warmup").asDouble()).append(" linear warmup, clip ")
                .append(cfg.path("clipNorm").asDouble()).append(".\n");
    }

    private static String seedCounts(Map<String, List<JsonNode>> byMethod) {
        Set<Integer> counts = new TreeSet<>();
        byMethod.values().forEach(l -> counts.add(l.size()));
        int n = counts.iterator().next();
        return counts.size() == 1 ? n + (n == 1 ? " seed" : " seeds")
                : String.join("/", byMethod.entrySet().stream().map(e -> e.getValue().size() + " (" + label(e.getKey()) + ")").toList()) + " seeds";
    }

    private static String label(String method) {
        if (!Methods.names().contains(method)) {
            return method; // a variant with fixed settings: as the suite names it
        }
        Method<?> m = Methods.get(method);
        return m.kind() == Method.Kind.HEADS ? "frozen encoder, heads only" : m.display();
    }

    /** The task's headline metric, as the first run that evaluated it recorded it. */
    private static String metricOf(String task, Map<String, List<JsonNode>> runs) {
        for (List<JsonNode> l : runs.values()) {
            JsonNode eval = l.get(0).path("eval");
            if (eval.path("tasks").has(task)) {
                return EvalReport.headlineMetric(eval, task);
            }
        }
        return "accuracy";
    }

    private interface Field {
        double get(JsonNode n);
    }

    private static void row(StringBuilder sb, String name, List<String> methods, Map<String, List<JsonNode>> by, Field f, double scale, int digits) {
        sb.append("| ").append(name).append(" |");
        for (String m : methods) {
            sb.append(' ').append(stat(by.get(m), f, scale, digits)).append(" |");
        }
        sb.append('\n');
    }

    static String stat(List<JsonNode> runs, Field f, double scale, int digits) {
        double[] v = runs.stream().mapToDouble(f::get).map(x -> x * scale).filter(Double::isFinite).toArray();
        if (v.length == 0) {
            return "–";
        }
        double mean = Arrays.stream(v).average().orElse(0);
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        double std = v.length > 1 ? Math.sqrt(var / (v.length - 1)) : 0;
        String fmt = "%." + digits + "f";
        return String.format(fmt + " ± " + fmt, mean, std);
    }
}
