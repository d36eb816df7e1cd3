package dev.moore4j.report;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport.MethodRow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Accuracy against what a method costs: trainable parameters, training speed, inference time, peak memory. */
final class CostSection extends PageSection {
    CostSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "cost";
    }

    @Override
    String heading() {
        return "Accuracy against cost";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
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
    }

}
