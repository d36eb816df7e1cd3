package dev.moore4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.eval.RoutingAnalysis;
import dev.moore4j.eval.TaskPredictions;
import dev.moore4j.harness.OverallScore;
import dev.moore4j.harness.PairedBootstrap;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.Suite;
import dev.moore4j.harness.SuiteReport;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.harness.SuiteReport.Stat;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.util.Provenance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One self-contained HTML page of a suite's results (or of runs reported like one): the ranked table and its
 * intervals, a method × task heat map, accuracy against cost, oblivion, rate sensitivity, training curves,
 * routing of MoORE and the mixtures, and provenance. Charts are inline SVG; the page loads nothing, runs no
 * script and names no URL, so it opens offline, in a mail attachment or from an archive years later.
 */
public final class HtmlReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The sections, in page order: their anchors and headings. */
    public static final Map<String, String> SECTIONS = sections();

    private static Map<String, String> sections() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("ranking", "Ranking");
        s.put("tasks", "Per task");
        s.put("cost", "Accuracy against cost");
        s.put("oblivion", "Oblivion");
        s.put("sensitivity", "Learning-rate sensitivity");
        s.put("curves", "Training curves");
        s.put("routing", "Routing");
        s.put("provenance", "Provenance");
        return s;
    }

    private final ResultsDb db;
    private final String suite;
    /** The methods whose routing is drawn; null for every method that has an analysis. */
    private final java.util.Set<String> routingOf;
    private final StringBuilder out = new StringBuilder();
    /** Which tasks the suite's overall averages, as its last run recorded. */
    private final OverallScore score;

    private HtmlReport(ResultsDb db, String suite, java.util.Set<String> routingOf) {
        this.db = db;
        this.suite = suite;
        this.routingOf = routingOf;
        this.score = db.overallScore(suite);
    }

    /** The page's name in a suite's output directory, next to {@code results.md}. */
    public static final String PAGE = "report.html";

    /** Writes {@code dir/report.html} for a suite (what {@code moore suite} does after every finished run). */
    public static void writeSuite(ResultsDb db, String suite, Path dir) {
        AtomicFiles.writeString(dir.resolve(PAGE), html(db, suite, Suite.DB));
    }

    /** The page for one suite of a results database; {@code source} says where the data came from. */
    public static String html(ResultsDb db, String suite, String source) {
        return new HtmlReport(db, suite, null).page(source);
    }

    /**
     * Writes the page for what {@code dir} holds: a suite's {@code results.sqlite} (every suite in it, the first
     * when there are several and {@code suite} is null), a run directory with {@code summary.json}, or a directory
     * of run directories.
     */
    public static void write(Path dir, String suite, Path outFile) {
        write(dir, suite, outFile, null);
    }

    /**
     * As {@link #write(Path, String, Path)}, drawing the routing of the given methods only (null: of every method with an
     * analysis). Each routing analysis adds half a megabyte of SVG; a page meant to be committed or mailed keeps a few.
     */
    public static void write(Path dir, String suite, Path outFile, java.util.Set<String> routingOf) {
        Path dbFile = Files.isRegularFile(dir) ? dir : dir.resolve(Suite.DB);
        if (Files.isRegularFile(dbFile)) {
            try (ResultsDb db = ResultsDb.open(dbFile)) {
                List<String> suites = db.suites();
                if (suites.isEmpty()) {
                    throw new MooreException(dbFile + ": no runs recorded");
                }
                String name = suite != null ? suite : suites.get(0);
                if (!suites.contains(name)) {
                    throw new MooreException(dbFile + ": no suite '" + name + "' (it holds " + String.join(", ", suites) + ")");
                }
                AtomicFiles.writeString(outFile, new HtmlReport(db, name, routingOf).page(dbFile.getFileName().toString()));
            }
            return;
        }
        List<Path> runs = runDirs(dir);
        try (ResultsDb db = ResultsDb.inMemory()) {
            String name = suite != null ? suite : dir.toAbsolutePath().normalize().getFileName().toString();
            for (Path run : runs) {
                JsonNode summary = readSummary(run);
                JsonNode cfg = summary.path("config");
                db.record(name, "main", summary.path("method").asText("?"), cfg.path("seed").asLong(0), cfg.path("lr").asDouble(0), run, summary);
            }
            AtomicFiles.writeString(outFile, new HtmlReport(db, name, routingOf)
                    .page(runs.size() == 1 ? "run " + runs.get(0).getFileName() : runs.size() + " runs under " + dir));
        }
    }

    private static List<Path> runDirs(Path dir) {
        if (Files.isRegularFile(dir.resolve("summary.json"))) {
            return List.of(dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new MooreException(dir + ": no such directory (give a suite directory with " + Suite.DB + ", a run directory with summary.json, "
                    + "or a directory of run directories)");
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> runs = s.filter(p -> Files.isRegularFile(p.resolve("summary.json"))).sorted().toList();
            if (runs.isEmpty()) {
                throw new MooreException(dir + ": neither " + Suite.DB + " nor run directories with summary.json");
            }
            return runs;
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot list runs: " + e.getMessage());
        }
    }

    private static JsonNode readSummary(Path run) {
        Path f = run.resolve("summary.json");
        try {
            JsonNode n = JSON.readTree(f.toFile());
            if (!n.path("eval").isObject()) {
                throw new MooreException(f + ": no 'eval' (the run has not evaluated yet)");
            }
            return n;
        } catch (IOException e) {
            throw new MooreException(f + ": cannot read: " + e.getMessage());
        }
    }

    private String page(String source) {
        List<ResultsDb.Row> main = Suite.current(score.of(db.rows(suite, "main")), score.of(db.rows(suite, "sweep")));
        if (main.isEmpty()) {
            throw new MooreException("report: suite '" + suite + "' has no finished main runs yet");
        }
        List<MethodRow> ranked = SuiteReport.ranked(main, this::predictions);
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, "
                + "initial-scale=1\">\n<title>").append(esc(suite)).append(" — moore4j report</title>\n<style>").append(CSS).append("</style>\n</head>\n<body>\n");
        out.append("<header><h1>").append(esc(suite)).append("</h1><p class=\"sub\">moore4j report from ").append(esc(source)).append(", ")
                .append(ranked.size()).append(ranked.size() == 1 ? " method, " : " methods, ").append(main.size())
                .append(main.size() == 1 ? " run" : " runs").append(".</p>\n<nav>");
        SECTIONS.forEach((id, h) -> out.append("<a href=\"#").append(id).append("\">").append(h).append("</a> "));
        out.append("</nav></header>\n");
        ranking(ranked, main);
        tasks(ranked, main);
        cost(ranked);
        oblivion(ranked);
        sensitivity();
        curves(ranked);
        routing(ranked);
        provenance(main);
        out.append("</body>\n</html>\n");
        return out.toString();
    }

    /** A run's predictions on the tasks its overall score averages. */
    private Map<String, TaskPredictions> predictions(ResultsDb.Row r) {
        return score.kept(db.predictions(r.suite(), r.kind(), r.method(), r.seed(), r.lr()));
    }

    private void section(String id) {
        out.append("<section id=\"").append(id).append("\">\n<h2>").append(SECTIONS.get(id)).append("</h2>\n");
    }

    private void figure(Charts.Chart c, String caption) {
        out.append("<figure class=\"chart\" data-chart=\"").append(esc(c.id())).append("\" data-series=\"").append(esc(String.join("|", c.series())))
                .append("\">\n").append(c.svg()).append("\n<figcaption>").append(caption).append("</figcaption>\n</figure>\n");
    }

    private void note(String text) {
        out.append("<p class=\"note\">").append(text).append("</p>\n");
    }

    private void ranking(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        section("ranking");
        List<Charts.Interval> items = new ArrayList<>();
        boolean allBootstrapped = true;
        List<String> without = new ArrayList<>();
        for (MethodRow m : ranked) {
            List<Map<String, TaskPredictions>> preds = new ArrayList<>();
            for (ResultsDb.Row r : m.runs()) {
                Map<String, TaskPredictions> p = predictions(r);
                if (!p.isEmpty()) {
                    preds.add(p);
                }
            }
            if (preds.size() == m.seeds()) {
                PairedBootstrap.Comparison c = PairedBootstrap.interval(preds, PairedBootstrap.RESAMPLES, 1);
                items.add(new Charts.Interval(m.method(), 100 * m.overall().mean(), 100 * c.low(), 100 * c.high()));
            } else {
                allBootstrapped = false;
                Stat s = m.overall();
                if (s.n() < 2) {
                    without.add(m.method());
                }
                items.add(new Charts.Interval(m.method(), 100 * s.mean(), 100 * (s.mean() - s.std()), 100 * (s.mean() + s.std())));
            }
        }
        String of = score.allTasks() ? "task metrics" : String.join(", ", SuiteReport.tasks(main).stream().filter(t -> !score.excluded().contains(t)).toList());
        figure(Charts.intervals("ranking", "Overall score by method", "overall score (mean of " + of + ", ×100)", items, null, null),
                allBootstrapped ? "Mean over seeds; bars: 95 % interval from a bootstrap over seeds and evaluation examples (" + PairedBootstrap.RESAMPLES
                        + " replicates)." : "Mean over seeds; bars: 95 % bootstrap interval over seeds and evaluation examples where the runs' "
                        + "predictions are stored, else ± one standard deviation over seeds" + (without.isEmpty() ? "." : "; no interval for "
                        + esc(String.join(", ", without)) + " (one seed, no stored predictions)."));
        List<String> tasks = SuiteReport.tasks(main);
        List<String> refs = SuiteReport.references(ranked);
        out.append("<div class=\"scroll\"><table>\n<thead><tr><th>rank</th><th>method</th><th>lr</th><th>seeds</th><th>trainable</th>");
        tasks.forEach(t -> out.append("<th>").append(esc(t)).append("</th>"));
        out.append("<th>overall</th>");
        refs.forEach(r -> out.append("<th>vs ").append(esc(r)).append("</th>"));
        out.append("<th>oblivion after (before)</th><th>train ex/s</th><th>infer ms/ex</th><th>peak MB</th></tr></thead>\n<tbody>\n");
        int rank = 1;
        for (MethodRow m : ranked) {
            out.append("<tr><td>").append(rank++).append("</td><td><span class=\"swatch\" style=\"background:").append(Palette.css(m.method()))
                    .append("\"></span>").append(esc(m.method())).append("</td><td>").append(Suite.rate(m.lr())).append("</td><td>").append(m.seeds())
                    .append("</td><td class=\"num\">").append(String.format(Locale.ROOT, "%,d", m.trainable())).append("</td>");
            m.tasks().values().forEach(s -> out.append("<td class=\"num\">").append(s.pct()).append("</td>"));
            out.append("<td class=\"num\"><b>").append(m.overall().pct()).append("</b></td>");
            for (String ref : refs) {
                PairedBootstrap.Comparison c = m.versus().get(ref);
                String cls = c == null ? "" : switch (c.verdict()) {
                    case BETTER -> " better";
                    case WORSE -> " worse";
                    case INDISTINGUISHABLE -> "";
                };
                // the difference over its interval, so that a wide table still fits the page
                String v = ref.equals(m.method()) ? "—" : esc(SuiteReport.versus(c)).replaceFirst(" \\[", "<br>[");
                out.append("<td class=\"num").append(cls).append("\">").append(v).append("</td>");
            }
            out.append("<td class=\"num\">").append(m.oblivionAfter().pct()).append(m.oblivionBefore().n() > 0 ? "<br>(" + m.oblivionBefore().pct() + ")" : "")
                    .append(String.format(Locale.ROOT, "</td><td class=\"num\">%.1f</td><td class=\"num\">%.2f</td><td class=\"num\">%.0f</td></tr>%n",
                            m.examplesPerSecond(), m.inferenceMsPerExample(), m.peakRssMb()));
        }
        out.append("</tbody></table></div>\n");
        note("Cells: mean ± sample standard deviation over seeds, ×100 (CoLA: MCC; STS-B: Spearman; others: accuracy). \"vs M\": this "
                + "method's overall minus M's with a 95 % paired-bootstrap interval (same seeds and evaluation examples); better / worse when "
                + "the interval excludes 0, ≈ when it does not. Speed and memory: median over seeds.");
        if (!score.allTasks()) {
            note(esc(score.note(tasks)));
        }
        Set<String> warnings = SuiteReport.warnings(main);
        if (!warnings.isEmpty()) {
            out.append("<p><b>Warnings</b></p><ul>");
            warnings.forEach(w -> out.append("<li>").append(esc(w)).append("</li>"));
            out.append("</ul>\n");
        }
        out.append("</section>\n");
    }

    private void tasks(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        section("tasks");
        List<String> tasks = SuiteReport.tasks(main);
        double[][] v = new double[ranked.size()][tasks.size()];
        for (int i = 0; i < ranked.size(); i++) {
            for (int j = 0; j < tasks.size(); j++) {
                v[i][j] = 100 * ranked.get(i).tasks().get(tasks.get(j)).mean();
            }
        }
        String[] rows = ranked.stream().map(MethodRow::method).toArray(String[]::new);
        figure(Charts.heatmap("tasks", "Score per method and task", "task", tasks.toArray(String[]::new), "method", rows, v,
                "score (×100)", false, "0.0"), "Mean over seeds of each task's headline metric, ×100; methods in rank order.");
        out.append("</section>\n");
    }

    private void cost(List<MethodRow> ranked) {
        section("cost");
        Map<String, double[]> params = new LinkedHashMap<>();
        Map<String, double[]> speed = new LinkedHashMap<>();
        Map<String, double[]> latency = new LinkedHashMap<>();
        Map<String, double[]> memory = new LinkedHashMap<>();
        for (MethodRow m : ranked) {
            double y = 100 * m.overall().mean();
            params.put(m.method(), new double[] {Math.max(1, m.trainable()), y});
            speed.put(m.method(), new double[] {m.examplesPerSecond(), y});
            latency.put(m.method(), new double[] {m.inferenceMsPerExample() > 0 ? m.inferenceMsPerExample() : Double.NaN, y});
            memory.put(m.method(), new double[] {m.peakRssMb() > 0 ? m.peakRssMb() : Double.NaN, y});
        }
        String y = "overall (×100)";
        out.append("<div class=\"grid\">\n");
        figure(Charts.pareto("cost-params", "Accuracy against trainable parameters", "trainable adapter parameters (log scale)", true, false, y, params),
                "Heads only trains no adapter parameter and is drawn at 1. Dashed: the Pareto front (no method is better on both axes).");
        figure(Charts.pareto("cost-speed", "Accuracy against training speed", "training examples per second", false, true, y, speed),
                "Median over seeds; higher is cheaper.");
        figure(Charts.pareto("cost-latency", "Accuracy against inference time", "inference ms per example", false, false, y, latency),
                "Median over seeds; lower is cheaper.");
        figure(Charts.pareto("cost-memory", "Accuracy against peak memory", "peak resident memory (MB)", false, false, y, memory),
                "Median over seeds of the training process's peak RSS; lower is cheaper.");
        out.append("</div>\n");
        note("Speed and memory were measured on the machine in the provenance section; compare them within one report only.");
        out.append("</section>\n");
    }

    private void oblivion(List<MethodRow> ranked) {
        section("oblivion");
        List<Charts.Interval> items = new ArrayList<>();
        List<Double> before = new ArrayList<>();
        String name = null;
        for (MethodRow m : ranked) {
            Stat a = m.oblivionAfter();
            if (a.n() > 0) {
                items.add(new Charts.Interval(m.method(), 100 * a.mean(), 100 * (a.mean() - a.std()), 100 * (a.mean() + a.std())));
                before.add(m.oblivionBefore().mean());
                name = m.runs().get(0).oblivionName();
            }
        }
        if (items.isEmpty()) {
            note("No oblivion figure was recorded (runs trained with --no-oblivion, or a decoder without held-out text).");
        } else {
            double base = 100 * Stat.of(before).mean();
            boolean perplexity = "perplexity".equals(name);
            figure(Charts.intervals("oblivion", "What the model still knows after training", perplexity ? "held-out perplexity (lower is better)"
                            : "zero-shot STS-B Spearman (×100)", items, perplexity ? base / 100 : base, "base model"),
                    perplexity ? "Held-out perplexity after training, mean ± std over seeds; dashed: the base model before training."
                            : "Zero-shot STS-B Spearman of the mean-pooled embeddings under task-free routing after training, mean ± std over "
                            + "seeds; dashed: the base model before training. A method that forgets nothing sits on the line.");
        }
        out.append("</section>\n");
    }

    private void sensitivity() {
        section("sensitivity");
        List<ResultsDb.Row> sweep = score.of(db.rows(suite, "sweep"));
        if (sweep.isEmpty()) {
            note("This suite did not sweep learning rates (run <code>moore suite NAME --sweep</code>); each method ran at its configured rate.");
        } else {
            Map<String, TreeMap<Double, List<Double>>> by = new LinkedHashMap<>();
            sweep.forEach(r -> by.computeIfAbsent(r.method(), k -> new TreeMap<>()).computeIfAbsent(r.lr(), k -> new ArrayList<>()).add(r.overall()));
            List<Charts.Line> lines = new ArrayList<>();
            by.forEach((m, rates) -> {
                double[] x = rates.keySet().stream().mapToDouble(Double::doubleValue).toArray();
                double[] yv = rates.values().stream().mapToDouble(l -> 100 * Stat.of(l).mean()).toArray();
                lines.add(new Charts.Line(m, x, yv, null, null));
            });
            figure(Charts.lines("sensitivity", "Validation score against learning rate", "learning rate (log scale)", true,
                    "validation overall (×100)", lines, true), "Each method over its rate grid on the validation split carved from the "
                    + "training data (one seed); the main runs use each method's best rate.");
        }
        out.append("</section>\n");
    }

    private void curves(List<MethodRow> ranked) {
        section("curves");
        List<Charts.Line> lines = new ArrayList<>();
        int window = 1;
        for (MethodRow m : ranked) {
            List<double[]> losses = new ArrayList<>();
            double[] steps = null;
            for (ResultsDb.Row r : m.runs()) {
                JsonNode c = db.curves(r.suite(), r.kind(), r.method(), r.seed(), r.lr());
                if (c.path("loss").isArray() && c.path("loss").size() > 0) {
                    double[] loss = doubles(c.get("loss"));
                    losses.add(loss);
                    // a published copy (suite --export) leaves out steps that are just 1, 2, …, n
                    double[] at = c.path("step").isArray() ? doubles(c.get("step")) : java.util.stream.IntStream.rangeClosed(1, loss.length).asDoubleStream().toArray();
                    if (steps == null || at.length < steps.length) {
                        steps = at;
                    }
                }
            }
            if (losses.isEmpty()) {
                continue;
            }
            int n = losses.stream().mapToInt(a -> a.length).min().orElse(0);
            n = Math.min(n, steps.length);
            window = Math.max(1, n / 15);
            double[] mean = new double[n];
            double[] lo = new double[n];
            double[] hi = new double[n];
            List<double[]> smooth = losses.stream().map(a -> movingAverage(a, Math.max(1, a.length / 15))).toList();
            for (int i = 0; i < n; i++) {
                List<Double> at = new ArrayList<>();
                for (double[] s : smooth) {
                    at.add(s[i]);
                }
                Stat st = Stat.of(at);
                mean[i] = st.mean();
                lo[i] = st.mean() - st.std();
                hi[i] = st.mean() + st.std();
            }
            lines.add(new Charts.Line(m.method(), java.util.Arrays.copyOf(steps, n), mean, lo, hi));
        }
        if (lines.isEmpty()) {
            note("No training curves were recorded (runs recorded before curves were kept).");
        } else {
            figure(Charts.lines("curves", "Training loss", "optimizer step", false, "training loss (moving average)", lines, false),
                    "Loss per step smoothed by a moving average over about " + window + " steps, mean over seeds; band: ± one standard "
                            + "deviation over seeds.");
        }
        out.append("</section>\n");
    }

    private void routing(List<MethodRow> ranked) {
        section("routing");
        boolean any = false;
        List<String> left = new ArrayList<>();
        for (MethodRow m : ranked) {
            JsonNode a = null;
            long seed = 0;
            for (ResultsDb.Row r : m.runs().stream().sorted(java.util.Comparator.comparingLong(ResultsDb.Row::seed)).toList()) {
                JsonNode x = db.routing(r.suite(), r.kind(), r.method(), r.seed(), r.lr());
                if (x.path("layers").isArray() && x.get("layers").size() > 0) {
                    a = x;
                    seed = r.seed();
                    break;
                }
            }
            if (a == null) {
                continue;
            }
            if (routingOf != null && !routingOf.contains(m.method())) {
                left.add(m.method());
                continue;
            }
            any = true;
            out.append("<h3><span class=\"swatch\" style=\"background:").append(Palette.css(m.method())).append("\"></span>").append(esc(m.method()))
                    .append(" (seed ").append(seed).append(")</h3>\n");
            boolean moore = a.get("layers").get(0).path("tasks").elements().next().has("w_over_s_mean");
            routingOf(m.method(), a, moore);
        }
        if (!left.isEmpty()) {
            note("Not drawn on this page: the routing of " + esc(String.join(", ", left)) + ", which the database holds (<code>moore report DB "
                    + "--html OUT.html</code> without <code>--routing</code> draws every method's).");
        }
        if (!any && left.isEmpty()) {
            note("No routing analysis is stored: it is recorded for MoORE and mixture main runs by <code>moore suite</code>, and for one adapter "
                    + "by <code>moore analyze --adapter DIR</code>.");
        }
        out.append("</section>\n");
    }

    private void routingOf(String method, JsonNode a, boolean moore) {
        JsonNode layers = a.get("layers");
        String[] names = shortNames(layers);
        List<String> labels = new ArrayList<>();
        layers.get(0).path("tasks").fieldNames().forEachRemaining(labels::add);
        String slug = method.replaceAll("[^A-Za-z0-9]+", "-");
        out.append("<div class=\"grid\">\n");
        for (String label : labels) {
            int cols = 0;
            for (JsonNode l : layers) {
                cols = Math.max(cols, l.path("tasks").path(label).path(moore ? "adjustment_bins" : "expert_load").size());
            }
            if (cols == 0) {
                continue;
            }
            // MoORE's bins are merged in pairs (or more) down to at most MAX_BINS columns: every cell is an SVG element, and
            // five maps of 36 × 32 cells made a page of 1.5 MB for no detail a reader could use
            int merge = moore ? (cols + MAX_BINS - 1) / MAX_BINS : 1;
            int shown = (cols + merge - 1) / merge;
            double[][] v = new double[names.length][shown];
            for (int i = 0; i < names.length; i++) {
                JsonNode arr = layers.get(i).path("tasks").path(label).path(moore ? "adjustment_bins" : "expert_load");
                for (int j = 0; j < shown; j++) {
                    double sum = 0;
                    int n = 0;
                    for (int k = j * merge; k < Math.min(arr.size(), (j + 1) * merge); k++) {
                        sum += arr.get(k).asDouble();
                        n++;
                    }
                    v[i][j] = n > 0 ? (moore ? 100 : 1) * sum / n : Double.NaN;
                }
            }
            String[] colNames = new String[shown];
            for (int j = 0; j < shown; j++) {
                colNames[j] = Integer.toString(j);
            }
            int bin = layers.get(0).path("bin_size").asInt(1) * merge;
            figure(Charts.heatmap("routing-" + slug + "-" + label.replaceAll("[^A-Za-z0-9]+", "-"), method + ": " + label, moore ? "expert bin ("
                            + bin + " experts each, by singular value, largest first)" : "expert", colNames, "layer", names, v,
                    moore ? "mean (w − s)/s (%)" : "share of tokens", moore, null, moore ? 0.98 : 1.0),
                    moore ? "Mean adjustment of each expert's singular value under " + esc(label) + " routing, in % of s; 0 = the base model. "
                            + "The colours end at the 98th percentile of the magnitudes, so a few large relative changes of tiny singular "
                            + "values do not wash out the rest." : "Share of " + esc(label) + " tokens each expert received.");
        }
        out.append("</div>\n");
        JsonNode sim = a.path("task_similarity");
        if (sim.path("tasks").size() > 1) {
            String[] t = new String[sim.get("tasks").size()];
            for (int i = 0; i < t.length; i++) {
                t[i] = sim.get("tasks").get(i).asText();
            }
            double[][] m = new double[t.length][t.length];
            for (int i = 0; i < t.length; i++) {
                for (int j = 0; j < t.length; j++) {
                    m[i][j] = sim.get("matrix").get(i).get(j).asDouble();
                }
            }
            figure(Charts.heatmap("similarity-" + slug, method + ": task similarity of the routing", "task", t, "task", t, m, "cosine", true, "0.00"),
                    moore ? "Cosine similarity of the tasks' mean adjustment vectors, all layers concatenated (the paper's Fig. 3)."
                            : "Cosine similarity of the tasks' expert loads (deviation from uniform), all layers concatenated.");
        }
        String key = moore ? "off_share" : "entropy";
        List<Charts.Line> lines = new ArrayList<>();
        for (String label : labels) {
            double[] x = new double[names.length];
            double[] y = new double[names.length];
            for (int i = 0; i < names.length; i++) {
                x[i] = i;
                y[i] = (moore ? 100 : 1) * layers.get(i).path("tasks").path(label).path(key).asDouble(Double.NaN);
            }
            lines.add(new Charts.Line(label, x, y, null, null));
        }
        figure(Charts.lines("per-layer-" + slug, method + (moore ? ": experts switched off per layer" : ": routing entropy per layer"),
                        "layer (index, in the order of the heat maps)", false, moore ? "experts switched off by the ReLU (%)" : "normalised entropy "
                                + "of the load (1 = uniform)", lines, true),
                moore ? "Share of (token, expert) pairs whose routed singular value the ReLU set to zero, per task."
                        : "Entropy of each layer's expert load per task, normalised by log(experts).");
    }

    /** The most expert columns a MoORE routing heat map draws. */
    static final int MAX_BINS = 8;

    /** Layer names without the prefix and suffix they all share, so the heat maps' rows stay readable. */
    static String[] shortNames(JsonNode layers) {
        String[] n = new String[layers.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = layers.get(i).path("name").asText();
        }
        if (n.length < 2) {
            return n;
        }
        int prefix = n[0].length();
        for (String s : n) {
            int k = 0;
            while (k < prefix && k < s.length() && s.charAt(k) == n[0].charAt(k)) {
                k++;
            }
            prefix = k;
        }
        prefix = n[0].lastIndexOf('.', prefix - 1) + 1; // cut at a dot, never inside a number
        String[] out = new String[n.length];
        for (int i = 0; i < n.length; i++) {
            out[i] = n[i].substring(prefix);
        }
        return new LinkedHashSet<>(List.of(out)).size() == out.length ? out : n;
    }

    private void provenance(List<ResultsDb.Row> main) {
        section("provenance");
        JsonNode cfg = main.get(0).config();
        out.append("<table class=\"kv\">\n");
        kv("model", cfg.path("model").asText());
        kv("tasks", String.join(", ", SuiteReport.tasks(main)));
        kv("protocol", String.format(Locale.ROOT, "%s training examples per task, %d steps of batch %d, max length %d, %s schedule after %.0f%% "
                        + "warm-up, clip %.1f, weight decay %.2f, evaluation %s", cfg.path("maxTrainExamples").asInt() > 0
                        ? Integer.toString(cfg.path("maxTrainExamples").asInt()) : "all", cfg.path("maxSteps").asInt(), cfg.path("batchSize").asInt(),
                cfg.path("maxLength").asInt(), cfg.path("schedule").asText(), 100 * cfg.path("warmup").asDouble(), cfg.path("clipNorm").asDouble(),
                cfg.path("weightDecay").asDouble(), cfg.path("maxEvalExamples").asInt() > 0 ? "on up to " + cfg.path("maxEvalExamples").asInt()
                        + " examples per task" : "on the full evaluation sets"));
        Set<Long> seeds = new TreeSet<>();
        main.forEach(r -> seeds.add(r.seed()));
        kv("seeds", seeds.toString());
        kv("commits of the runs", String.join(", ", SuiteReport.commits(main)));
        List<String> when = db.recordedBetween(suite);
        kv("recorded (UTC)", when.isEmpty() ? "—" : when.get(0) + (when.size() > 1 && !when.get(1).equals(when.get(0)) ? " to " + when.get(1) : ""));
        Set<String> machines = new LinkedHashSet<>();
        List<Double> roofs = new ArrayList<>();
        for (ResultsDb.Row r : main) {
            JsonNode mc = db.machine(r.suite(), r.kind(), r.method(), r.seed(), r.lr());
            if (mc.isObject()) {
                roofs.add(mc.path("matmul_gflops").asDouble(Double.NaN));
                if (mc.has("cores")) {
                    machines.add(mc.path("cpu").asText("CPU not reported") + ", " + mc.path("cores").asInt() + " cores, " + mc.path("threads").asInt()
                            + " compute threads" + (mc.has("mkl_code_path") ? ", MKL code path " + mc.path("mkl_code_path").asInt() : ""));
                }
            }
        }
        kv("machine", machines.isEmpty() ? "not recorded with these runs" : String.join("; ", machines));
        kv("matmul roofline", roofs.isEmpty() ? "not recorded with these runs" : String.format(Locale.ROOT, "%.0f GFLOP/s (median over runs; "
                + "libtorch fp32 matmul measured in each run)", median(roofs)));
        kv("report", "generated " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " by moore4j " + Provenance.commit());
        out.append("</table>\n</section>\n");
    }

    private static double median(List<Double> v) {
        double[] x = v.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).sorted().toArray();
        return x.length == 0 ? Double.NaN : x.length % 2 == 1 ? x[x.length / 2] : (x[x.length / 2 - 1] + x[x.length / 2]) / 2;
    }

    private void kv(String k, String v) {
        out.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n");
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).isNumber() ? a.get(i).asDouble() : Double.NaN;
        }
        return out;
    }

    /** Trailing moving average over {@code w} values, skipping NaN (a skipped step). */
    static double[] movingAverage(double[] v, int w) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double sum = 0;
            int n = 0;
            for (int j = Math.max(0, i - w + 1); j <= i; j++) {
                if (Double.isFinite(v[j])) {
                    sum += v[j];
                    n++;
                }
            }
            out[i] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }

    /** The inverse of {@link #esc}. */
    static String unescape(String s) {
        return s.replace("&quot;", "\"").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String CSS = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#111;max-width:1200px;margin:0 auto;padding:0 16px 48px;line-height:1.45}
            h1{margin:24px 0 4px}h2{border-bottom:2px solid #ccc;padding-bottom:4px;margin-top:40px}h3{margin:24px 0 8px}
            .sub{color:#444;margin:0 0 8px}nav a{margin-right:12px;color:#0b5394}
            figure.chart{margin:12px 0 20px;break-inside:avoid}figure.chart svg{width:100%;height:auto;display:block}
            figcaption{font-size:14px;color:#333;margin-top:4px}.note{font-size:14px;color:#333}
            .grid{display:grid;grid-template-columns:1fr;gap:8px}
            .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:12px;margin:8px 0}
            th,td{border:1px solid #ccc;padding:3px 5px;text-align:left;white-space:nowrap}th{white-space:normal;vertical-align:bottom}
            td.num{text-align:right}
            td.better{background:#e3f2e1}td.worse{background:#fbe3e1}table.kv td{white-space:normal}
            .swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border:1px solid #555}
            @media print{nav{display:none}body{max-width:none}section{break-before:auto}h2{break-after:avoid}}
            """;
}
