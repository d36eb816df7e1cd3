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
 * adjustment vectors (w − s)/s, all layers concatenated. Each layer also keeps that mean adjustment per expert,
 * averaged over bins of consecutive experts in singular-value order (at most {@value #BINS} bins), for heat maps.
 *
 * <p>Mixture methods (MixLoRA, LoRAMoE, MoLA, HydraLoRA, OMoE, GOAT…) route tokens to a few experts; for them
 * each layer reports, per task, the share of tokens each expert received ({@code expert_load}), the normalised
 * entropy of that load and its largest share, and the task similarity is the cosine of the loads' deviations
 * from uniform, all layers concatenated.
 */
public final class RoutingAnalysis {
    public static final String TASK_FREE = "task-free";
    /** The most columns a layer's per-expert adjustment is reduced to (a 384-expert layer becomes 32 bins of 12). */
    public static final int BINS = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    private RoutingAnalysis() {}

    /** Runs the examples of each task (in {@code sets} order) and returns the analysis as JSON. */
    public static ObjectNode run(TaskModel model, Map<String, List<Example>> sets, EvalBatches batches, NDManager m) {
        Map<String, RoutingStats> layers = new LinkedHashMap<>();
        List<MooreLinear> moore = new ArrayList<>();
        for (AdapterModule mod : model.adapter().modules()) {
            if (mod instanceof MooreLinear ml) {
                moore.add(ml);
                layers.put(ml.name(), ml.recordRouting());
            }
        }
        if (moore.isEmpty()) {
            return mixture(model, sets, batches, m);
        }
        try {
            List<Example> all = new ArrayList<>();
            for (Map.Entry<String, List<Example>> e : sets.entrySet()) {
                layers.values().forEach(r -> r.label(e.getKey()));
                Evaluator.predict(model, e.getValue(), batches, TaskModel.Routing.BY_TASK, m, "analyze " + e.getKey());
                all.addAll(e.getValue());
            }
            layers.values().forEach(r -> r.label(TASK_FREE));
            Evaluator.predict(model, all, batches, TaskModel.Routing.TASK_FREE, m, "analyze " + TASK_FREE);
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
            int bin = (e.getValue().experts() + BINS - 1) / BINS;
            layer.put("bin_size", bin);
            for (String l : labels) {
                ObjectNode t = JSON.valueToTree(e.getValue().summary(l));
                double[] adj = e.getValue().meanAdjustment(l);
                t.set("adjustment_bins", JSON.valueToTree(binned(adj, bin)));
                tasks.set(l, t);
                for (double v : adj) {
                    concatenated.get(l).add(v);
                }
            }
        }
        similarity(out, new ArrayList<>(sets.keySet()), concatenated);
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

    /** The task × task cosine similarity of the tasks' vectors (ones on the diagonal). */
    private static void similarity(ObjectNode out, List<String> taskLabels, Map<String, List<Double>> vectors) {
        ObjectNode sim = out.putObject("task_similarity");
        sim.set("tasks", JSON.valueToTree(taskLabels));
        ArrayNode matrix = sim.putArray("matrix");
        for (String a : taskLabels) {
            ArrayNode row = matrix.addArray();
            for (String b : taskLabels) {
                row.add(a.equals(b) ? 1.0 : cosine(vectors.get(a), vectors.get(b)));
            }
        }
    }

    /** Means over consecutive runs of {@code bin} values, rounded to 1e-5 (the last run may be shorter). */
    static double[] binned(double[] v, int bin) {
        double[] out = new double[(v.length + bin - 1) / bin];
        for (int b = 0; b < out.length; b++) {
            int from = b * bin;
            int to = Math.min(v.length, from + bin);
            double sum = 0;
            for (int j = from; j < to; j++) {
                sum += v[j];
            }
            out[b] = Math.round(sum / (to - from) * 1e5) / 1e5;
        }
        return out;
    }

    /** The mixture branch: per layer and task the routers' expert load, its entropy and largest share. */
    private static ObjectNode mixture(TaskModel model, Map<String, List<Example>> sets, EvalBatches batches, NDManager m) {
        model.adapter().takeExpertLoad(); // drop whatever earlier evaluations counted
        Map<String, Map<String, double[]>> byLabel = new LinkedHashMap<>();
        List<Example> all = new ArrayList<>();
        for (Map.Entry<String, List<Example>> e : sets.entrySet()) {
            Evaluator.predict(model, e.getValue(), batches, TaskModel.Routing.BY_TASK, m, "analyze " + e.getKey());
            byLabel.put(e.getKey(), model.adapter().takeExpertLoad());
            all.addAll(e.getValue());
        }
        Evaluator.predict(model, all, batches, TaskModel.Routing.TASK_FREE, m, "analyze " + TASK_FREE);
        byLabel.put(TASK_FREE, model.adapter().takeExpertLoad());
        Map<String, double[]> first = byLabel.values().iterator().next();
        if (first.isEmpty()) {
            throw new MooreException("analyze: the adapter's method (" + model.adapter().method() + ") has no routed experts: routing analysis "
                    + "covers MoORE and the mixture methods (mixlora, loramoe, mola, hydralora, omoe, goat, mosld)");
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("method", model.adapter().method());
        ArrayNode ls = out.putArray("layers");
        Map<String, List<Double>> centred = new LinkedHashMap<>();
        byLabel.keySet().forEach(l -> centred.put(l, new ArrayList<>()));
        Map<String, Map<String, Double>> mean = new LinkedHashMap<>();
        for (String layerName : first.keySet()) {
            ObjectNode layer = ls.addObject();
            layer.put("name", layerName);
            layer.put("experts", first.get(layerName).length);
            ObjectNode tasks = layer.putObject("tasks");
            for (Map.Entry<String, Map<String, double[]>> e : byLabel.entrySet()) {
                double[] load = e.getValue().getOrDefault(layerName, new double[first.get(layerName).length]);
                double max = 0;
                for (double x : load) {
                    max = Math.max(max, x);
                    centred.get(e.getKey()).add(x - 1.0 / load.length);
                }
                double entropy = Metrics.normalisedEntropy(load);
                ObjectNode t = tasks.putObject(e.getKey());
                t.set("expert_load", JSON.valueToTree(binned(load, 1)));
                t.put("entropy", entropy);
                t.put("max_share", max);
                Map<String, Double> avg = mean.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>());
                avg.merge("entropy", entropy / first.size(), Double::sum);
                avg.merge("max_share", max / first.size(), Double::sum);
            }
        }
        similarity(out, new ArrayList<>(sets.keySet()), centred);
        out.set("mean_over_layers", JSON.valueToTree(mean));
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
