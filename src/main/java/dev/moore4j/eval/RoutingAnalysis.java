package dev.moore4j.eval;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdapterModule;
import dev.moore4j.adapter.moore.MooreLinear;
import dev.moore4j.adapter.moore.RoutingStats;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a trained MoORE model does with its experts (the paper's Figs. 3–5): each task's evaluation examples go
 * through the model under their own task id, then all of them once more under task-free routing, and every MoORE
 * layer records its router's weights ({@link RoutingStats}). The result, per layer and task: the adjusted spectrum
 * w / s (mean, spread), the share of experts switched off by the ReLU, the normalised entropy of w, and the task-only
 * and sample-only parts of the adjustment relative to s; and the task × task cosine similarity of the mean
 * adjustment vectors (w − s)/s, all layers concatenated.
 */
public final class RoutingAnalysis {
    public static final String TASK_FREE = "task-free";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RoutingAnalysis() {}

    /** Runs the examples of each task (in {@code sets} order) and returns the analysis as JSON. */
    public static ObjectNode run(TaskModel model, Map<String, List<Example>> sets, int batchSize, NDManager m) {
        Map<String, RoutingStats> layers = new LinkedHashMap<>();
        List<MooreLinear> moore = new ArrayList<>();
        for (AdapterModule mod : model.adapter().modules()) {
            if (mod instanceof MooreLinear ml) {
                moore.add(ml);
                layers.put(ml.name(), ml.recordRouting());
            }
        }
        if (moore.isEmpty()) {
            throw new MooreException("analyze: the adapter's method (" + model.adapter().method() + ") has no MoORE layers; routing analysis "
                    + "covers MoORE (mixture methods' per-expert load is in summary.json, expert_load)");
        }
        try {
            List<Example> all = new ArrayList<>();
            for (Map.Entry<String, List<Example>> e : sets.entrySet()) {
                layers.values().forEach(r -> r.label(e.getKey()));
                Evaluator.predict(model, e.getValue(), batchSize, false, m, "analyze " + e.getKey());
                all.addAll(e.getValue());
            }
            layers.values().forEach(r -> r.label(TASK_FREE));
            Evaluator.predict(model, all, batchSize, true, m, "analyze " + TASK_FREE);
        } finally {
            moore.forEach(MooreLinear::stopRecording);
        }
        List<String> labels = new ArrayList<>(sets.keySet());
        labels.add(TASK_FREE);
        ObjectNode out = JSON.createObjectNode();
        out.put("method", model.adapter().method());
        ArrayNode ls = out.putArray("layers");
        Map<String, List<Double>> concatenated = new LinkedHashMap<>();
        labels.forEach(l -> concatenated.put(l, new ArrayList<>()));
        for (Map.Entry<String, RoutingStats> e : layers.entrySet()) {
            ObjectNode layer = ls.addObject();
            layer.put("name", e.getKey());
            layer.put("experts", e.getValue().experts());
            ObjectNode tasks = layer.putObject("tasks");
            for (String l : labels) {
                tasks.set(l, JSON.valueToTree(e.getValue().summary(l)));
                for (double v : e.getValue().meanAdjustment(l)) {
                    concatenated.get(l).add(v);
                }
            }
        }
        ObjectNode sim = out.putObject("task_similarity");
        List<String> taskLabels = new ArrayList<>(sets.keySet());
        sim.set("tasks", JSON.valueToTree(taskLabels));
        ArrayNode matrix = sim.putArray("matrix");
        for (String a : taskLabels) {
            ArrayNode row = matrix.addArray();
            for (String b : taskLabels) {
                row.add(a.equals(b) ? 1.0 : cosine(concatenated.get(a), concatenated.get(b)));
            }
        }
        ObjectNode mean = out.putObject("mean_over_layers");
        for (String l : labels) {
            Map<String, Double> avg = new LinkedHashMap<>();
            for (RoutingStats r : layers.values()) {
                r.summary(l).forEach((k, v) -> avg.merge(k, v / layers.size(), Double::sum));
            }
            mean.set(l, JSON.valueToTree(avg));
        }
        return out;
    }

    /** Cosine of two vectors; 0 when either is zero (an unadapted router has no direction). */
    static double cosine(List<Double> a, List<Double> b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.size(); i++) {
            dot += a.get(i) * b.get(i);
            na += a.get(i) * a.get(i);
            nb += b.get(i) * b.get(i);
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
