package dev.moore4j.harness;

import dev.moore4j.eval.TaskPredictions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The sequential protocol's tables, from the stage runs of a suite's database: per method, order and replay setting
 * the average accuracy after the last stage, backward transfer (forgetting), forward transfer and the difference to
 * the simultaneous run, each with a paired-bootstrap interval over seeds and evaluation examples; then the stage ×
 * task matrix of each (mean over seeds).
 * <ul>
 *   <li>backward transfer: mean over the tasks of all but the last stage of (score after the last stage − score right
 *   after the stage that trained it); negative is forgetting;</li>
 *   <li>forward transfer: mean over the tasks of all but the first stage of (score right after its stage − the same
 *   method's single-task run on it, same seed): what the earlier stages gave or took; needs the conflict pass;</li>
 *   <li>sequential − simultaneous: the last stage's overall against the main run's on the same tasks, same seed.</li>
 * </ul>
 */
final class SequentialReport {
    private SequentialReport() {}

    /** One sequence: a method in one order with one replay setting. */
    record Sequence(String method, String order, int replay) {}

    static void tables(StringBuilder sb, SuiteSpec spec, List<ResultsDb.Row> stages, List<ResultsDb.Row> main, List<ResultsDb.Row> single,
                       SuiteReport.PredictionSource predictions) {
        SuiteSequential seq = spec.sequential();
        if (seq == null || stages.isEmpty()) {
            return;
        }
        sb.append("## Sequential: tasks arriving one stage at a time\n\n");
        seq.orders().forEach((name, order) -> sb.append("- order `").append(name).append("`: ")
                .append(String.join(" → ", order.stream().map(s -> String.join(" + ", s)).toList())).append('\n'));
        sb.append("\nEach stage continues the adapter of the stage before (`train --from`) for its share of the suite's steps")
                .append(seq.steps() > 0 ? " (here " + seq.steps() + " steps a stage)" : "")
                .append("; replay N trains on N examples of each earlier task as well. After each stage every task seen so far is evaluated.\n\n");
        sb.append("| method | order | replay | seeds | average after the last stage | backward transfer (forgetting) | forward transfer | "
                + "sequential − simultaneous |\n|---|---|---|---|---|---|---|---|\n");
        Map<Sequence, Map<Long, Map<Integer, ResultsDb.Row>>> bySequence = new LinkedHashMap<>();
        for (ResultsDb.Row r : stages) {
            RunId.Stage s = (RunId.Stage) r.kind();
            bySequence.computeIfAbsent(new Sequence(r.method(), s.order(), s.replay()), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.seed(), k -> new LinkedHashMap<>()).put(s.index(), r);
        }
        StringBuilder matrices = new StringBuilder();
        for (Map.Entry<Sequence, Map<Long, Map<Integer, ResultsDb.Row>>> e : bySequence.entrySet()) {
            Sequence q = e.getKey();
            List<List<String>> order = seq.orders().get(q.order());
            if (order == null) {
                continue; // an order the file no longer has
            }
            sb.append(row(q, order, e.getValue(), main, single, predictions));
            matrix(matrices, q, order, e.getValue());
        }
        sb.append("\nCells ×100. Intervals: paired bootstrap over seeds and evaluation examples (95 %); — where the runs it compares "
                + "are missing (forward transfer needs the conflict pass's single-task runs, sequential − simultaneous the main runs).\n\n");
        sb.append(matrices);
    }

    /** One sequence's row of the summary table, over its complete seeds. */
    private static String row(Sequence q, List<List<String>> order, Map<Long, Map<Integer, ResultsDb.Row>> seeds, List<ResultsDb.Row> main,
                              List<ResultsDb.Row> single, SuiteReport.PredictionSource predictions) {
        List<Map<String, TaskPredictions>> last = new ArrayList<>();
        List<Map<String, TaskPredictions>> learned = new ArrayList<>();
        List<Map<String, TaskPredictions>> lastOld = new ArrayList<>();
        List<Map<String, TaskPredictions>> learnedLate = new ArrayList<>();
        List<Map<String, TaskPredictions>> alone = new ArrayList<>();
        List<Map<String, TaskPredictions>> together = new ArrayList<>();
        List<Map<String, TaskPredictions>> lastAll = new ArrayList<>();
        List<Double> averages = new ArrayList<>();
        for (Map.Entry<Long, Map<Integer, ResultsDb.Row>> bySeed : seeds.entrySet()) {
            Map<Integer, ResultsDb.Row> runs = bySeed.getValue();
            if (runs.size() < order.size()) {
                continue; // a sequence still running
            }
            Map<String, TaskPredictions> end = predictions.of(runs.get(order.size() - 1));
            Map<String, TaskPredictions> atOwnStage = new LinkedHashMap<>();
            for (int i = 0; i < order.size(); i++) {
                Map<String, TaskPredictions> p = predictions.of(runs.get(i));
                for (String t : order.get(i)) {
                    if (p.containsKey(t)) {
                        atOwnStage.put(t, p.get(t));
                    }
                }
            }
            if (!end.keySet().containsAll(atOwnStage.keySet()) || atOwnStage.isEmpty()) {
                continue;
            }
            averages.add(runs.get(order.size() - 1).overall());
            Set<String> old = new LinkedHashSet<>(atOwnStage.keySet());
            order.get(order.size() - 1).forEach(old::remove);
            lastOld.add(subset(end, old));
            learned.add(subset(atOwnStage, old));
            Set<String> late = new LinkedHashSet<>(atOwnStage.keySet());
            order.get(0).forEach(late::remove);
            Map<String, TaskPredictions> singles = new LinkedHashMap<>();
            for (String t : late) {
                for (ResultsDb.Row r : single) {
                    if (r.method().equals(q.method()) && r.seed() == bySeed.getKey() && r.kind().equals(new RunId.Single(t))) {
                        TaskPredictions p = predictions.of(r).get(t);
                        if (p != null) {
                            singles.put(t, p);
                        }
                    }
                }
            }
            if (singles.keySet().equals(late)) {
                learnedLate.add(subset(atOwnStage, late));
                alone.add(singles);
            }
            for (ResultsDb.Row r : main) {
                Map<String, TaskPredictions> m = r.method().equals(q.method()) && r.seed() == bySeed.getKey() ? predictions.of(r) : Map.of();
                if (m.keySet().containsAll(atOwnStage.keySet())) {
                    together.add(subset(m, atOwnStage.keySet()));
                    lastAll.add(subset(end, atOwnStage.keySet()));
                }
            }
            last.add(end);
        }
        if (last.isEmpty()) {
            return String.format(Locale.ROOT, "| %s | %s | %d | 0 | — | — | — | — (stages incomplete) |%n", q.method(), q.order(), q.replay());
        }
        return String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s |%n", q.method(), q.order(), q.replay(), last.size(),
                SuiteReport.Stat.of(averages).pct(), interval(lastOld, learned), interval(learnedLate, alone), interval(lastAll, together));
    }

    private static Map<String, TaskPredictions> subset(Map<String, TaskPredictions> p, Set<String> tasks) {
        Map<String, TaskPredictions> out = new LinkedHashMap<>();
        tasks.forEach(t -> out.put(t, p.get(t)));
        return out;
    }

    /** The mean difference a − b over the tasks, with its interval; — when nothing pairs. */
    private static String interval(List<Map<String, TaskPredictions>> a, List<Map<String, TaskPredictions>> b) {
        if (a.isEmpty() || a.get(0).isEmpty()) {
            return "—";
        }
        PairedBootstrap.Comparison c = PairedBootstrap.compare(a, b, PairedBootstrap.RESAMPLES, 1);
        return String.format(Locale.ROOT, "%+.1f [%+.1f, %+.1f]", 100 * c.difference(), 100 * c.low(), 100 * c.high());
    }

    /** The stage × task matrix of one sequence, mean over its complete seeds. */
    private static void matrix(StringBuilder sb, Sequence q, List<List<String>> order, Map<Long, Map<Integer, ResultsDb.Row>> bySeed) {
        List<String> tasks = new ArrayList<>();
        order.forEach(tasks::addAll);
        sb.append(String.format(Locale.ROOT, "### %s, order %s, replay %d: score after each stage (rows) on each task (columns)%n%n", q.method(), q.order(),
                q.replay()));
        sb.append("| after stage | ").append(String.join(" | ", tasks)).append(" | average |\n|---|");
        sb.append("---|".repeat(tasks.size() + 1)).append('\n');
        for (int i = 0; i < order.size(); i++) {
            sb.append("| ").append(i + 1).append(": ").append(String.join(" + ", order.get(i))).append(" |");
            List<Double> overall = new ArrayList<>();
            for (String t : tasks) {
                List<Double> v = new ArrayList<>();
                for (Map<Integer, ResultsDb.Row> runs : bySeed.values()) {
                    ResultsDb.Row r = runs.get(i);
                    if (r != null && runs.size() == order.size() && r.eval().path("tasks").has(t)) {
                        v.add(headline(r, t));
                    }
                }
                sb.append(' ').append(v.isEmpty() ? "" : SuiteReport.Stat.of(v).pct()).append(" |");
            }
            for (Map<Integer, ResultsDb.Row> runs : bySeed.values()) {
                if (runs.get(i) != null && runs.size() == order.size()) {
                    overall.add(runs.get(i).overall());
                }
            }
            sb.append(' ').append(SuiteReport.Stat.of(overall).pct()).append(" |\n");
        }
        sb.append('\n');
    }

    /** A run's headline metric on a task, as its evaluation recorded it. */
    static double headline(ResultsDb.Row r, String task) {
        var t = r.eval().path("tasks").path(task);
        String metric = r.eval().path("headline").path(task).asText("accuracy");
        return t.path(metric).asDouble(Double.NaN);
    }
}
