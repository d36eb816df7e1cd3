package dev.moore4j.harness;

import dev.moore4j.eval.TaskPredictions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which tasks a suite's overall score averages. A task that no method lifts above chance on the suite's budget only
 * adds noise to the ranking, so a suite file may leave it out ({@code overall_excludes}): it keeps its column, and
 * the overall, the sweep's choice of rate, the paired intervals and the conflict table all use the other tasks.
 * A stored run keeps its own overall over every task; this rescoring happens when a suite's results are read.
 *
 * @param excluded task names left out of the overall score (empty: every task counts, the run's own overall)
 */
public record OverallScore(List<String> excluded) {
    public static final OverallScore ALL_TASKS = new OverallScore(List.of());

    public OverallScore {
        excluded = List.copyOf(excluded);
    }

    public boolean allTasks() {
        return excluded.isEmpty();
    }

    /** The run with its overall recomputed over the kept tasks: the mean of their headline metrics (NaN when none is kept). */
    public ResultsDb.Row of(ResultsDb.Row r) {
        if (allTasks()) {
            return r;
        }
        double sum = 0;
        int n = 0;
        for (String t : SuiteReport.tasks(List.of(r))) {
            if (!excluded.contains(t)) {
                sum += SuiteReport.headline(r, t);
                n++;
            }
        }
        return r.withOverall(n == 0 ? Double.NaN : sum / n);
    }

    public List<ResultsDb.Row> of(List<ResultsDb.Row> rows) {
        List<ResultsDb.Row> out = new ArrayList<>(rows.size());
        rows.forEach(r -> out.add(of(r)));
        return out;
    }

    /** The predictions of the kept tasks: what a paired comparison of overall scores resamples. */
    public Map<String, TaskPredictions> kept(Map<String, TaskPredictions> predictions) {
        if (allTasks()) {
            return predictions;
        }
        Map<String, TaskPredictions> out = new LinkedHashMap<>(predictions);
        excluded.forEach(out::remove);
        return out;
    }

    /** The sentence under a table that says which tasks the overall averages; empty when all do. */
    public String note(List<String> tasks) {
        if (allTasks()) {
            return "";
        }
        List<String> kept = tasks.stream().filter(t -> !excluded.contains(t)).toList();
        return "Overall here is the mean over " + String.join(", ", kept) + " only: " + String.join(", ", excluded)
                + (excluded.size() == 1 ? " keeps its column but is" : " keep their columns but are")
                + " left out of it, the paired intervals, the conflict table and the sweep's choice of rate (the suite file's "
                + "overall_excludes: no method leaves chance there on this budget).";
    }
}
