package dev.moore4j.report;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.SuiteReport.MethodRow;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The sequential protocol's runs (a suite's {@code --sequential} pass): per method, order and replay setting the stage
 * × task matrix as a heat map (mean over seeds), and per order and replay setting the forgetting curve of each method:
 * after each stage, the mean over the earlier stages' tasks of their score now minus their score right after their
 * own stage. A stage's tasks are those its evaluation adds to the stage before's.
 */
final class SequentialSection extends PageSection {
    SequentialSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "sequential";
    }

    @Override
    String heading() {
        return "Sequential adaptation";
    }

    @Override
    boolean applies() {
        return !db.stageRows(suite).isEmpty();
    }

    /** One sequence: a method in one order with one replay setting. */
    private record Sequence(String method, String order, int replay) {}

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        Map<Sequence, Map<Long, TreeMap<Integer, ResultsDb.Row>>> runs = new LinkedHashMap<>();
        for (ResultsDb.Row r : db.stageRows(suite)) {
            RunId.Stage s = (RunId.Stage) r.kind();
            runs.computeIfAbsent(new Sequence(r.method(), s.order(), s.replay()), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.seed(), k -> new TreeMap<>()).put(s.index(), r);
        }
        note("Each stage continues the adapter of the stage before on its own tasks; after each, every task seen so far is evaluated. "
                + "Cells ×100, mean over the seeds whose sequence is complete.");
        Map<String, List<Charts.Line>> forgetting = new LinkedHashMap<>();
        for (Map.Entry<Sequence, Map<Long, TreeMap<Integer, ResultsDb.Row>>> e : runs.entrySet()) {
            Sequence q = e.getKey();
            int stages = e.getValue().values().stream().mapToInt(TreeMap::size).max().orElse(0);
            List<TreeMap<Integer, ResultsDb.Row>> complete = e.getValue().values().stream().filter(m -> m.size() == stages).toList();
            if (complete.isEmpty() || stages < 2) {
                continue;
            }
            List<List<String>> added = addedTasks(complete.get(0));
            List<String> tasks = new ArrayList<>();
            added.forEach(tasks::addAll);
            String[] rows = new String[stages];
            double[][] cells = new double[stages][tasks.size()];
            double[] forgot = new double[stages];
            for (int i = 0; i < stages; i++) {
                rows[i] = (i + 1) + ": " + String.join(" + ", added.get(i));
                for (int t = 0; t < tasks.size(); t++) {
                    cells[i][t] = mean(complete, i, tasks.get(t));
                }
                double sum = 0;
                int n = 0;
                for (int j = 0; j < i; j++) {
                    for (String t : added.get(j)) {
                        sum += cells[i][tasks.indexOf(t)] - cells[j][tasks.indexOf(t)];
                        n++;
                    }
                }
                forgot[i] = n == 0 ? 0 : sum / n;
            }
            String key = String.format(Locale.ROOT, "%s-%s-r%d", q.method(), q.order(), q.replay());
            figure(Charts.heatmap("seq-" + key, q.method() + ", order " + q.order() + ", replay " + q.replay(), "task", tasks.toArray(String[]::new),
                            "after stage", rows, cells, "score ×100", false, "0.0"),
                    q.method() + " through order " + q.order() + (q.replay() > 0 ? ", replaying " + q.replay() + " examples of each earlier task" : ", no replay")
                            + ": the score of each task (columns) after each stage (rows); " + complete.size() + " seeds.");
            double[] x = new double[stages];
            for (int i = 0; i < stages; i++) {
                x[i] = i + 1;
            }
            forgetting.computeIfAbsent(q.order() + "|" + q.replay(), k -> new ArrayList<>()).add(new Charts.Line(q.method(), x, forgot, null, null));
        }
        forgetting.forEach((k, lines) -> {
            String[] p = k.split("\\|");
            figure(Charts.lines("forgetting-" + p[0] + "-r" + p[1], "Forgetting, order " + p[0] + ", replay " + p[1], "after stage", false,
                    "earlier tasks' change ×100", lines, true), "After each stage, the mean over the earlier stages' tasks of their score then minus "
                    + "their score right after their own stage (0: nothing forgotten; below 0: forgetting).");
        });
    }

    /** The tasks each stage adds: those its evaluation holds and the stage before's does not. */
    private static List<List<String>> addedTasks(TreeMap<Integer, ResultsDb.Row> stages) {
        List<List<String>> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (ResultsDb.Row r : stages.values()) {
            List<String> now = new ArrayList<>();
            r.eval().path("tasks").fieldNames().forEachRemaining(t -> {
                if (seen.add(t)) {
                    now.add(t);
                }
            });
            out.add(now);
        }
        return out;
    }

    private static double mean(List<TreeMap<Integer, ResultsDb.Row>> seeds, int stage, String task) {
        double sum = 0;
        int n = 0;
        for (TreeMap<Integer, ResultsDb.Row> s : seeds) {
            ResultsDb.Row r = s.get(stage);
            var t = r.eval().path("tasks").path(task);
            String metric = r.eval().path("headline").path(task).asText("accuracy");
            if (t.has(metric)) {
                sum += 100 * t.get(metric).asDouble();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
