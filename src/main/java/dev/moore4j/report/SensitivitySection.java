package dev.moore4j.report;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.harness.SuiteReport.Stat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The sweep's validation score against the learning rate, per method. */
final class SensitivitySection extends PageSection {
    SensitivitySection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "sensitivity";
    }

    @Override
    String heading() {
        return "Learning-rate sensitivity";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        List<ResultsDb.Row> sweep = score.of(db.rows(suite, RunId.SWEEP));
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
    }

}
