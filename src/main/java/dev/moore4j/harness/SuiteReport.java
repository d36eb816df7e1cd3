package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;

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
    record Stat(double mean, double std, int n) {
        static Stat of(List<Double> v) {
            List<Double> x = v.stream().filter(d -> !Double.isNaN(d)).toList();
            if (x.isEmpty()) {
                return new Stat(Double.NaN, Double.NaN, 0);
            }
            double mean = x.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double ss = x.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum();
            return new Stat(mean, x.size() > 1 ? Math.sqrt(ss / (x.size() - 1)) : 0, x.size());
        }

        String pct() {
            return n == 0 ? "—" : n == 1 ? String.format(Locale.ROOT, "%.1f", 100 * mean) : String.format(Locale.ROOT, "%.1f ± %.1f", 100 * mean, 100 * std);
        }
    }

    public static String markdown(SuiteSpec spec, List<ResultsDb.Row> main, List<ResultsDb.Row> sweep, String command) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(spec.title()).append("\n\n");
        sb.append("Generated from `results.sqlite` by `moore suite`; rerun with `").append(command).append("`.\n\n");
        sb.append(String.format(Locale.ROOT, "Protocol: %s, %d training examples per task (seeded subsample), evaluation on %s, %d steps of %d, "
                        + "max length %d, constant rate after 10%% warmup, clip 1.0, AdamW (wd 0.01); adapter methods at lr %s, full fine-tuning at %s, "
                        + "heads at %s; same seeds for every method.%n%n",
                spec.model(), spec.maxTrain(), spec.maxEval() > 0 ? "up to " + spec.maxEval() + " examples per task" : "the full dev/test sets",
                spec.maxSteps(), spec.batchSize(), spec.maxLength(), Suite.rate(spec.adapterLr()), Suite.rate(spec.fullLr()), Suite.rate(spec.headLr())));
        if (!main.isEmpty()) {
            mainTable(sb, main);
        }
        if (!sweep.isEmpty()) {
            sweepTable(sb, sweep);
        }
        return sb.toString();
    }

    private static void mainTable(StringBuilder sb, List<ResultsDb.Row> rows) {
        Map<String, List<ResultsDb.Row>> byMethod = new LinkedHashMap<>();
        for (ResultsDb.Row x : rows) {
            byMethod.computeIfAbsent(x.method(), k -> new ArrayList<>()).add(x);
        }
        Set<String> tasks = new LinkedHashSet<>();
        rows.forEach(r -> r.eval().path("tasks").fieldNames().forEachRemaining(tasks::add));
        List<String> ranked = new ArrayList<>(byMethod.keySet());
        ranked.sort(Comparator.comparingDouble((String m) -> -stat(byMethod.get(m), ResultsDb.Row::overall).mean()));
        sb.append("| rank | method | seeds | trainable |");
        tasks.forEach(t -> sb.append(' ').append(t).append(" |"));
        sb.append(" overall | oblivion after (before) | train ex/s | infer ms/ex | peak MB |\n|---|---|---|---|");
        tasks.forEach(t -> sb.append("---|"));
        sb.append("---|---|---|---|---|\n");
        int rank = 1;
        for (String m : ranked) {
            List<ResultsDb.Row> r = byMethod.get(m);
            sb.append(String.format(Locale.ROOT, "| %d | %s | %d | %,d |", rank++, m, r.size(), r.get(0).trainable()));
            for (String t : tasks) {
                sb.append(' ').append(stat(r, x -> {
                    JsonNode tm = x.eval().path("tasks").path(t);
                    return tm.has("mcc") && t.equals("cola") ? tm.get("mcc").asDouble() : tm.has("spearman") ? tm.get("spearman").asDouble()
                            : tm.path("accuracy").asDouble(Double.NaN);
                }).pct()).append(" |");
            }
            Stat before = stat(r, ResultsDb.Row::oblivionBefore);
            sb.append(' ').append(stat(r, ResultsDb.Row::overall).pct()).append(" | ")
                    .append(stat(r, ResultsDb.Row::oblivionAfter).pct()).append(before.n() > 0 ? " (" + before.pct() + ")" : "").append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f | %.2f | %.0f |%n", median(r, ResultsDb.Row::examplesPerSecond),
                            median(r, ResultsDb.Row::inferenceMsPerExample), median(r, ResultsDb.Row::peakRssMb)));
        }
        sb.append("\nCells: mean ± sample std over seeds, ×100 (CoLA: MCC; STS-B: Spearman; others: accuracy). Oblivion: zero-shot STS-B "
                + "Spearman of the mean-pooled embeddings under task-free routing, after training (before, the base model). Speeds and memory are "
                + "the median over seeds (robust to one run that shared the cores, or ran in another session on a faster or slower "
                + "machine); compare them within one suite only.\n\n");
        if (byMethod.containsKey("full") && byMethod.containsKey("heads")) {
            Stat full = stat(byMethod.get("full"), ResultsDb.Row::overall);
            Stat heads = stat(byMethod.get("heads"), ResultsDb.Row::overall);
            double gap = full.mean() - heads.mean();
            if (full.n() < 2 || heads.n() < 2) {
                sb.append(String.format(Locale.ROOT, "Separation: full fine-tuning − heads only = %.1f points overall; with one seed the spreads "
                        + "are unknown, so separation is not established (run more seeds).%n%n", 100 * gap));
            } else {
                sb.append(String.format(Locale.ROOT, "Separation: full fine-tuning − heads only = %.1f points overall; spreads %.1f and %.1f: %s.%n%n",
                        100 * gap, 100 * full.std(), 100 * heads.std(),
                        gap > full.std() && gap > heads.std() ? "the suite separates methods" : "NOT separated (enlarge the suite)"));
            }
        }
        Set<String> warnings = new TreeSet<>();
        for (ResultsDb.Row r : rows) {
            r.warnings().forEach(w -> warnings.add(r.method() + " seed " + r.seed() + ": " + w.asText()));
        }
        if (!warnings.isEmpty()) {
            sb.append("Warnings:\n\n");
            warnings.forEach(w -> sb.append("- ").append(w).append('\n'));
            sb.append('\n');
        }
        Set<String> commits = new TreeSet<>();
        rows.forEach(r -> commits.add(r.commit()));
        sb.append("Commits: ").append(String.join(", ", commits)).append("\n\n");
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
        lrs.forEach(lr -> sb.append(" lr ").append(Suite.rate(lr)).append(" |"));
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
        double best = Double.NaN;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (double lr : lrs) {
            double score = stat(rows.stream().filter(r -> r.lr() == lr).toList(), ResultsDb.Row::overall).mean();
            if (score > bestScore) {
                bestScore = score;
                best = lr;
            }
        }
        sb.append(String.format(Locale.ROOT, "%nSelected: lr %s (best mean validation overall over %s).%n%n", Suite.rate(best), String.join(" and ", methods)));
    }

    private static Stat stat(List<ResultsDb.Row> rows, ToDoubleFunction<ResultsDb.Row> f) {
        List<Double> v = new ArrayList<>();
        rows.forEach(r -> v.add(f.applyAsDouble(r)));
        return Stat.of(v);
    }
}
