package dev.moore4j.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.train.TrainConfig;

import java.util.List;
import java.util.Map;

/**
 * A comparison protocol: the same data, steps, batch, schedule and evaluation for every method. Adapter
 * methods share one learning rate ({@link #adapterLr}, chosen by the validation sweep); full fine-tuning
 * and heads only use their conventional rates. The sweep trains {@link #sweepMethods} at each of
 * {@link #sweepLrs} with {@link #validation} training examples per task held out as the evaluation set, so
 * nothing is selected on the evaluation split.
 *
 * @param maxSteps  optimiser steps of every run
 * @param evalEvery evaluation and checkpoint interval (checkpoints make interrupted runs resumable)
 */
public record SuiteSpec(String name, String title, String model, List<String> tasks, int maxTrain, int maxEval, int maxLength, int batchSize,
                        int maxSteps, int evalEvery, double adapterLr, double headLr, double fullLr, int oblivionExamples, int validation,
                        List<String> methods, List<Long> seeds, List<Double> sweepLrs, List<String> sweepMethods) {
    /** Every method of the registry, in its order. */
    static final List<String> ALL = Methods.names();

    public static final Map<String, SuiteSpec> BUILT_IN = Map.of(
            "nlu-mtl", new SuiteSpec("nlu-mtl", "NLU-MTL (CoLA, SST-2, MRPC, RTE) on all-MiniLM-L6-v2", "minilm", List.of("nlu-mtl"),
                    1000, 0, 128, 16, 250, 125, 1e-3, 2e-3, 5e-5, 0, 200, ALL, List.of(1L, 2L, 3L), List.of(1e-4, 3e-4, 1e-3), List.of("lora", "moore")),
            "csr-mtl", new SuiteSpec("csr-mtl", "CSR-MTL (ARC-c, ARC-e, BoolQ, OBQA, CSQA, WinoGrande) on bge-small-en-v1.5", "bge-small",
                    List.of("csr-mtl"), 200, 200, 96, 8, 150, 75, 1e-3, 2e-3, 5e-5, 0, 50, ALL, List.of(1L, 2L, 3L), List.of(1e-4, 3e-4, 1e-3),
                    List.of("lora", "moore")),
            "demo", new SuiteSpec("demo", "NLU-MTL demo (250 examples per task) on all-MiniLM-L6-v2", "minilm", List.of("nlu-mtl"),
                    250, 250, 128, 16, 63, 0, 1e-3, 2e-3, 5e-5, 0, 0, List.of("heads", "lora", "moore"), List.of(1L), List.of(), List.of()));

    public static SuiteSpec get(String name) {
        SuiteSpec s = BUILT_IN.get(name);
        if (s == null) {
            throw new MooreException("unknown suite '" + name + "' (suites: " + String.join(", ", BUILT_IN.keySet().stream().sorted().toList()) + ")");
        }
        return s;
    }

    /** The rate a method trains at: shared adapter rate, full fine-tuning's own; {@code lrOverride} > 0 replaces the adapter rate. */
    public double lrFor(String method, double lrOverride) {
        if (method.equals("full")) {
            return fullLr;
        }
        return lrOverride > 0 ? lrOverride : adapterLr;
    }

    /** The training config of one run; {@code sweep} evaluates on the carved validation split and skips the oblivion figure. */
    public TrainConfig config(String method, long seed, double lr, boolean sweep, Map<String, Object> adapter) {
        ObjectNode n = TrainConfig.defaults().toJson();
        n.put("model", model);
        n.put("method", method);
        n.set("tasks", n.arrayNode().addAll(tasks.stream().map(n::textNode).toList()));
        n.put("maxTrainExamples", maxTrain);
        n.put("maxEvalExamples", maxEval);
        n.put("maxLength", maxLength);
        n.put("batchSize", batchSize);
        n.put("maxSteps", maxSteps);
        n.put("evalEvery", evalEvery);
        n.put("lr", lr);
        n.put("headLr", headLr);
        n.put("schedule", "constant");
        n.put("warmup", 0.1);
        n.put("clipNorm", 1.0);
        n.put("seed", seed);
        n.put("oblivionExamples", oblivionExamples);
        if (sweep) {
            n.put("validationExamples", validation);
            n.put("maxEvalExamples", 0);
            n.put("oblivion", false);
        }
        if (adapter != null && !adapter.isEmpty()) {
            n.set("adapter", new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(adapter));
        }
        return TrainConfig.fromJson(n, "suite " + name).validate();
    }
}
