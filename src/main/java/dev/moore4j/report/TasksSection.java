package dev.moore4j.report;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport;
import dev.moore4j.harness.SuiteReport.MethodRow;

import java.util.List;

/** Each method's score on each task, as a heat map in rank order. */
final class TasksSection extends PageSection {
    TasksSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "tasks";
    }

    @Override
    String heading() {
        return "Per task";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
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
    }

}
