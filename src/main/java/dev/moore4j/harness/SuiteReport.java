package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.eval.EvalReport;
import dev.moore4j.eval.TaskPredictions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The Markdown tables of a suite, generated from its results database: methods ranked by mean overall
 * score (± sample standard deviation over seeds), per-task headline metrics, the oblivion figure, trainable
 * parameters, speed and memory; the separation check (full fine-tuning against heads only); warnings; and
 * the learning-rate sensitivity table of the validation sweep with the rate it selects.
 */
public final class SuiteReport {
    private SuiteReport() {}

    /** mean ± std of the values (sample std; "—" for none). */
    public record Stat(double mean, double std, int n) {
        public static Stat of(List<Double> v) {
            List<Double> x = v.stream().filter(d -> !Double.isNaN(d)).toList();
            if (x.isEmpty()) {
                return new Stat(Double.NaN, Double.NaN, 0);
            }
            double mean = x.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double ss = x.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum();
            return new Stat(mean, x.size() > 1 ? Math.sqrt(ss / (x.size() - 1)) : 0, x.size());
        }

        public String pct() {
            return n == 0 ? "—" : n == 1 ? String.format(Locale.ROOT, "%.1f", 100 * mean) : String.format(Locale.ROOT, "%.1f ± %.1f", 100 * mean, 100 * std);
        }
    }

    /** A stored run's per-example predictions (empty when the run has none). */
    @FunctionalInterface
    public interface PredictionSource {
        Map<String, TaskPredictions> of(ResultsDb.Row run);
    }

    public static String markdown(SuiteSpec spec, List<ResultsDb.Row> main, List<ResultsDb.Row> sweep, String command) {
        return markdown(spec, main, sweep, List.of(), command, r -> Map.of());
    }

    public static String markdown(SuiteSpec spec, List<ResultsDb.Row> main, List<ResultsDb.Row> sweep, List<ResultsDb.Row> single, String command,
                                  PredictionSource predictions) {
        return markdown(spec, main, sweep, single, List.of(), command, predictions);
    }

    /** As above, with the sequential protocol's stage runs ({@link SequentialReport}). */
    public static String markdown(SuiteSpec spec, List<ResultsDb.Row> main, List<ResultsDb.Row> sweep, List<ResultsDb.Row> single,
                                  List<ResultsDb.Row> stages, String command, PredictionSource predictions) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(spec.title()).append("\n\n");
        sb.append("Generated from `results.sqlite` by `moore suite`; rerun with `").append(command).append("`.\n\n");
        sb.append(String.format(Locale.ROOT, "Protocol: %s, %s training examples per task (seeded subsample), evaluation on %s, %d steps of %d, "
                        + "max length %d, %s rate after %.0f%% warmup, clip 1.0, AdamW (wd 0.01); each method at its own rate (column lr: the "
                        + "best of its validation sweep where the suite swept, else the suite file's), task heads at %s; same seeds and "
                        + "evaluation examples for every method.%n%n",
                spec.model(), spec.protocol().maxTrain() > 0 ? Integer.toString(spec.protocol().maxTrain()) : "all",
                spec.protocol().maxEval() > 0 ? "up to " + spec.protocol().maxEval() + " examples per task" : "the full dev/test sets", spec.protocol().maxSteps(), spec.protocol().batchSize(),
                spec.protocol().maxLength(), spec.protocol().schedule(), 100 * spec.protocol().warmup(), RunId.rate(spec.protocol().headLr())));
        if (!main.isEmpty()) {
            mainTable(sb, main, predictions, spec.overallScore().note(tasks(main)));
        }
        if (!single.isEmpty()) {
            conflictTable(sb, main, single, predictions);
        }
        SequentialReport.tables(sb, spec, stages, main, single, predictions);
        if (!sweep.isEmpty()) {
            sweepTable(sb, sweep);
        }
        return sb.toString();
    }

    /** The methods every other one is compared with, when the suite ran them. */
    static final List<String> REFERENCES = List.of("moore", "lora");

    /** One method's line of the ranked table: its runs' statistics over seeds and its paired comparisons. */
    public record MethodRow(String method, double lr, List<ResultsDb.Row> runs, long trainable, Map<String, Stat> tasks, Stat overall,
                            Map<String, PairedBootstrap.Comparison> versus, Stat oblivionAfter, Stat oblivionBefore, double examplesPerSecond,
                            double inferenceMsPerExample, double peakRssMb) {
        public int seeds() {
            return runs.size();
        }
    }

    /** The task order of a set of runs (first seen first). */
    public static List<String> tasks(List<ResultsDb.Row> rows) {
        Set<String> tasks = new LinkedHashSet<>();
        rows.forEach(r -> r.eval().path("tasks").fieldNames().forEachRemaining(tasks::add));
        return List.copyOf(tasks);
    }

    /** A task's headline metric in one run's evaluation: the one its task spec names ({@link EvalReport#headlineValue}). */
    public static double headline(ResultsDb.Row run, String task) {
        return EvalReport.headlineValue(run.eval(), task);
    }

    /** The methods ranked by mean overall score, each compared with the references the suite ran (null: no common stored predictions). */
    public static List<MethodRow> ranked(List<ResultsDb.Row> rows, PredictionSource predictions) {
        Map<String, List<ResultsDb.Row>> byMethod = new LinkedHashMap<>();
        for (ResultsDb.Row x : rows) {
            byMethod.computeIfAbsent(x.method(), k -> new ArrayList<>()).add(x);
        }
        List<String> tasks = tasks(rows);
        List<String> refs = REFERENCES.stream().filter(byMethod::containsKey).toList();
        List<MethodRow> out = new ArrayList<>();
        for (Map.Entry<String, List<ResultsDb.Row>> e : byMethod.entrySet()) {
            List<ResultsDb.Row> r = e.getValue();
            Map<String, Stat> perTask = new LinkedHashMap<>();
            tasks.forEach(t -> perTask.put(t, stat(r, x -> headline(x, t))));
            Map<String, PairedBootstrap.Comparison> versus = new LinkedHashMap<>();
            for (String ref : refs) {
                if (!ref.equals(e.getKey())) {
                    versus.put(ref, paired(r, byMethod.get(ref), predictions));
                }
            }
            out.add(new MethodRow(e.getKey(), r.get(0).lr(), r, r.get(0).trainable(), perTask, stat(r, ResultsDb.Row::overall), versus,
                    stat(r, ResultsDb.Row::oblivionAfter), stat(r, ResultsDb.Row::oblivionBefore), median(r, ResultsDb.Row::examplesPerSecond),
                    median(r, ResultsDb.Row::inferenceMsPerExample), median(r, ResultsDb.Row::peakRssMb)));
        }
        out.sort(Comparator.comparingDouble((MethodRow m) -> -m.overall().mean()));
        return out;
    }

    /** The references the ranked rows are compared with. */
    public static List<String> references(List<MethodRow> ranked) {
        return REFERENCES.stream().filter(ref -> ranked.stream().anyMatch(m -> m.method().equals(ref))).toList();
    }

    /** "+1.2 [+0.3, +2.0] better"; "—" without a comparison. */
    public static String versus(PairedBootstrap.Comparison c) {
        if (c == null) {
            return "—";
        }
        String word = switch (c.verdict()) {
            case BETTER -> "better";
            case WORSE -> "worse";
            case INDISTINGUISHABLE -> "≈";
        };
        return String.format(Locale.ROOT, "%+.1f [%+.1f, %+.1f] %s", 100 * c.difference(), 100 * c.low(), 100 * c.high(), word);
    }

    private static void mainTable(StringBuilder sb, List<ResultsDb.Row> rows, PredictionSource predictions, String overallNote) {
        List<MethodRow> ranked = ranked(rows, predictions);
        List<String> tasks = tasks(rows);
        List<String> refs = references(ranked);
        sb.append("| rank | method | lr | seeds | trainable |");
        tasks.forEach(t -> sb.append(' ').append(t).append(" |"));
        sb.append(" overall |");
        refs.forEach(r -> sb.append(" vs ").append(r).append(" |"));
        sb.append(" oblivion after (before) | train ex/s | infer ms/ex | peak MB |\n|---|---|---|---|---|");
        tasks.forEach(t -> sb.append("---|"));
        refs.forEach(r -> sb.append("---|"));
        sb.append("---|---|---|---|---|\n");
        int rank = 1;
        for (MethodRow m : ranked) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %d | %,d |", rank++, m.method(), RunId.rate(m.lr()), m.seeds(), m.trainable()));
            m.tasks().values().forEach(st -> sb.append(' ').append(st.pct()).append(" |"));
            sb.append(' ').append(m.overall().pct()).append(" |");
            for (String ref : refs) {
                sb.append(' ').append(ref.equals(m.method()) ? "—" : versus(m.versus().get(ref))).append(" |");
            }
            sb.append(' ').append(m.oblivionAfter().pct()).append(m.oblivionBefore().n() > 0 ? " (" + m.oblivionBefore().pct() + ")" : "").append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f | %.2f | %.0f |%n", m.examplesPerSecond(), m.inferenceMsPerExample(), m.peakRssMb()));
        }
        sb.append("\nCells: mean ± sample std over seeds, ×100 (CoLA: MCC; STS-B: Spearman; others: accuracy). ");
        if (!refs.isEmpty()) {
            sb.append("\"vs M\": this method's overall minus M's, ×100, with a 95 % interval from a paired bootstrap (" + PairedBootstrap.RESAMPLES
                    + " replicates drawing seeds and evaluation examples, the same draw for both methods); better / worse when the interval "
                    + "excludes 0, ≈ (indistinguishable) when it does not; — without stored predictions for a common seed. ");
        }
        sb.append("Oblivion: zero-shot STS-B "
                + "Spearman of the mean-pooled embeddings under task-free routing, after training (before, the base model). Speeds and memory are "
                + "the median over seeds (robust to one run that shared the cores, or ran in another session on a faster or slower "
                + "machine); compare them within one suite only.\n\n");
        if (!overallNote.isEmpty()) {
            sb.append(overallNote).append("\n\n");
        }
        MethodRow full = ranked.stream().filter(m -> m.method().equals("full")).findFirst().orElse(null);
        MethodRow heads = ranked.stream().filter(m -> m.method().equals("heads")).findFirst().orElse(null);
        if (full != null && heads != null) {
            double gap = full.overall().mean() - heads.overall().mean();
            if (full.overall().n() < 2 || heads.overall().n() < 2) {
                sb.append(String.format(Locale.ROOT, "Separation: full fine-tuning − heads only = %.1f points overall; with one seed the spreads "
                        + "are unknown, so separation is not established (run more seeds).%n%n", 100 * gap));
            } else {
                sb.append(String.format(Locale.ROOT, "Separation: full fine-tuning − heads only = %.1f points overall; spreads %.1f and %.1f: %s.%n%n",
                        100 * gap, 100 * full.overall().std(), 100 * heads.overall().std(),
                        gap > full.overall().std() && gap > heads.overall().std() ? "the suite separates methods" : "NOT separated (enlarge the suite)"));
            }
        }
        Set<String> warnings = warnings(rows);
        if (!warnings.isEmpty()) {
            sb.append("Warnings:\n\n");
            warnings.forEach(w -> sb.append("- ").append(w).append('\n'));
            sb.append('\n');
        }
        sb.append("Commits: ").append(String.join(", ", commits(rows))).append("\n\n");
    }

    /** The runs' warnings, each prefixed with its method and seed. */
    public static Set<String> warnings(List<ResultsDb.Row> rows) {
        Set<String> warnings = new TreeSet<>();
        for (ResultsDb.Row r : rows) {
            r.warnings().forEach(w -> warnings.add(r.method() + " seed " + r.seed() + ": " + w.asText()));
        }
        return warnings;
    }

    public static Set<String> commits(List<ResultsDb.Row> rows) {
        Set<String> commits = new TreeSet<>();
        rows.forEach(r -> commits.add(r.commit()));
        return commits;
    }

    /** This method against the reference over their common seeds; null without stored predictions for one. */
    static PairedBootstrap.Comparison paired(List<ResultsDb.Row> method, List<ResultsDb.Row> reference, PredictionSource predictions) {
        List<Map<String, TaskPredictions>> a = new ArrayList<>();
        List<Map<String, TaskPredictions>> b = new ArrayList<>();
        for (ResultsDb.Row x : method) {
            for (ResultsDb.Row y : reference) {
                if (x.seed() == y.seed()) {
                    Map<String, TaskPredictions> px = predictions.of(x);
                    Map<String, TaskPredictions> py = predictions.of(y);
                    if (!px.isEmpty() && px.keySet().equals(py.keySet())) {
                        a.add(px);
                        b.add(py);
                    }
                }
            }
        }
        return a.isEmpty() ? null : PairedBootstrap.compare(a, b, PairedBootstrap.RESAMPLES, 1);
    }

    /** The median over seeds: one run slowed by other work, or timed in another session, moves it least. */
    private static double median(List<ResultsDb.Row> rows, ToDoubleFunction<ResultsDb.Row> f) {
        double[] v = rows.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).sorted().toArray();
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void sweepTable(StringBuilder sb, List<ResultsDb.Row> rows) {
        TreeSet<Double> lrs = new TreeSet<>();
        rows.forEach(r -> lrs.add(r.lr()));
        Set<String> methods = new LinkedHashSet<>();
        rows.forEach(r -> methods.add(r.method()));
        sb.append("## Learning-rate sensitivity (validation split carved from the training data, one seed)\n\n| method |");
        lrs.forEach(lr -> sb.append(" lr ").append(RunId.rate(lr)).append(" |"));
        sb.append("\n|---|");
        lrs.forEach(lr -> sb.append("---|"));
        sb.append('\n');
        for (String m : methods) {
            sb.append("| ").append(m).append(" |");
            for (double lr : lrs) {
                sb.append(' ').append(stat(rows.stream().filter(r -> r.method().equals(m) && r.lr() == lr).toList(), ResultsDb.Row::overall).pct())
                        .append(" |");
            }
            sb.append('\n');
        }
        sb.append("\nSelected (each method's best validation overall, the rate its main runs use):");
        for (String m : methods) {
            double best = Double.NaN;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (ResultsDb.Row r : rows) {
                if (r.method().equals(m) && r.overall() > bestScore) {
                    bestScore = r.overall();
                    best = r.lr();
                }
            }
            sb.append(String.format(Locale.ROOT, " %s %s;", m, RunId.rate(best)));
        }
        sb.setLength(sb.length() - 1);
        sb.append(".\n\n");
    }

    /**
     * Conflict: for each method, the mean over tasks of its single-task runs' scores against its multi-task overall
     * (same seeds, same evaluation examples, each task trained alone for its share of the steps); the cost of training
     * the tasks together is single − multi, with a paired-bootstrap interval.
     */
    private static void conflictTable(StringBuilder sb, List<ResultsDb.Row> main, List<ResultsDb.Row> single, PredictionSource predictions) {
        Set<String> methods = new LinkedHashSet<>();
        single.forEach(r -> methods.add(r.method()));
        sb.append("## Conflict: each task alone against all tasks together\n\n| method | seeds | single-task mean | multi-task overall "
                + "| conflict cost (single − multi) |\n|---|---|---|---|---|\n");
        for (String m : methods) {
            List<Map<String, TaskPredictions>> alone = new ArrayList<>();
            List<Map<String, TaskPredictions>> together = new ArrayList<>();
            List<Double> aloneMeans = new ArrayList<>();
            List<Double> togetherMeans = new ArrayList<>();
            for (ResultsDb.Row multi : main) {
                if (!multi.method().equals(m)) {
                    continue;
                }
                Map<String, TaskPredictions> joint = predictions.of(multi);
                Map<String, TaskPredictions> parts = new LinkedHashMap<>();
                double sum = 0;
                for (String task : joint.keySet()) {
                    for (ResultsDb.Row r : single) {
                        if (r.method().equals(m) && r.seed() == multi.seed() && r.kind().equals(new RunId.Single(task))) {
                            Map<String, TaskPredictions> p = predictions.of(r);
                            if (p.containsKey(task)) {
                                parts.put(task, p.get(task));
                                sum += p.get(task).score();
                            }
                        }
                    }
                }
                if (!joint.isEmpty() && parts.keySet().equals(joint.keySet())) {
                    alone.add(parts);
                    together.add(joint);
                    aloneMeans.add(sum / parts.size());
                    togetherMeans.add(multi.overall());
                }
            }
            if (alone.isEmpty()) {
                sb.append("| ").append(m).append(" | 0 | — | — | — (single-task runs incomplete) |\n");
                continue;
            }
            PairedBootstrap.Comparison c = PairedBootstrap.compare(alone, together, PairedBootstrap.RESAMPLES, 1);
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %+.1f [%+.1f, %+.1f]%s |%n", m, alone.size(), Stat.of(aloneMeans).pct(),
                    Stat.of(togetherMeans).pct(), 100 * c.difference(), 100 * c.low(), 100 * c.high(),
                    c.verdict() == PairedBootstrap.Verdict.BETTER ? " (tasks conflict)" : c.verdict() == PairedBootstrap.Verdict.WORSE
                            ? " (tasks help each other)" : ""));
        }
        sb.append("\nCells ×100; the interval is a paired bootstrap over seeds and evaluation examples. A positive cost means training the "
                + "tasks together lost accuracy that each task reaches alone with the same steps on it.\n\n");
    }

    private static Stat stat(List<ResultsDb.Row> rows, ToDoubleFunction<ResultsDb.Row> f) {
        List<Double> v = new ArrayList<>();
        rows.forEach(r -> v.add(f.applyAsDouble(r)));
        return Stat.of(v);
    }
}
