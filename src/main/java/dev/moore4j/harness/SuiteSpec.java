package dev.moore4j.harness;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.config.TrainConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A comparison protocol: the same data, steps, batch, schedule and evaluation for every method. Adapter
 * methods share one learning rate ({@link #adapterLr}, chosen by the validation sweep); full fine-tuning
 * and heads only use their conventional rates. The sweep trains {@link #sweepMethods} at each of
 * {@link #sweepLrs} with {@link #validation} training examples per task held out as the evaluation set, so
 * nothing is selected on the evaluation split.
 *
 * <p>Rates: the NLU-MTL sweep (LoRA and MoORE at 1e-4, 3e-4, 1e-3, seed 1, 200 held-out training examples per
 * task) selected 1e-4 (mean validation overall 52.3, against 52.0 at 3e-4 and 46.8 at 1e-3;
 * docs/results/baselines-nlu-mtl.md); the demo and CSR-MTL use the same rate (CSR-MTL's own sweep has not
 * been run). Full fine-tuning: 5e-5, the usual BERT-family rate; heads: 2e-3.
 *
 * @param maxSteps  optimiser steps of every run
 * @param evalEvery evaluation and checkpoint interval (checkpoints make interrupted runs resumable)
 */
public record SuiteSpec(String name, String title, String model, List<String> tasks, int maxTrain, int maxEval, int maxLength, int batchSize,
                        int maxSteps, int evalEvery, double adapterLr, double headLr, double fullLr, int oblivionExamples, int validation,
                        List<String> methods, List<Long> seeds, List<Double> sweepLrs, List<String> sweepMethods) {
    /** Every method of the registry, in its order, and GOAT's second scale choice. */
    static final List<String> ALL = Stream.concat(Methods.names().stream(), Stream.of("goat[scale=paper]")).toList();

    /**
     * A suite entry: a method name, optionally with fixed hyperparameters, {@code goat[scale=paper]} or
     * {@code lora[r=16,alpha=32]}; returns the method name and the overrides.
     */
    public static Map.Entry<String, Map<String, Object>> variant(String entry) {
        int open = entry.indexOf('[');
        if (open < 0) {
            Methods.get(entry);
            return Map.entry(entry, Map.of());
        }
        if (!entry.endsWith("]")) {
            throw new MooreException("suite method '" + entry + "': expected NAME[key=value,…]");
        }
        String method = entry.substring(0, open);
        String inner = entry.substring(open + 1, entry.length() - 1);
        return Map.entry(method, Methods.parseAssignments(method, inner.isBlank() ? List.of() : List.of(inner.split(","))));
    }

    public static final Map<String, SuiteSpec> BUILT_IN = Map.of(
            "nlu-mtl", new SuiteSpec("nlu-mtl", "NLU-MTL (CoLA, SST-2, MRPC, RTE) on all-MiniLM-L6-v2", "minilm", List.of("nlu-mtl"),
                    1000, 0, 128, 16, 250, 125, 1e-4, 2e-3, 5e-5, 0, 200, ALL, List.of(1L, 2L, 3L), List.of(1e-4, 3e-4, 1e-3), List.of("lora", "moore")),
            "csr-mtl", new SuiteSpec("csr-mtl", "CSR-MTL (ARC-c, ARC-e, BoolQ, OBQA, CSQA, WinoGrande) on bge-small-en-v1.5", "bge-small",
                    List.of("csr-mtl"), 200, 200, 96, 8, 150, 75, 1e-4, 2e-3, 5e-5, 0, 50, ALL, List.of(1L, 2L, 3L), List.of(1e-4, 3e-4, 1e-3),
                    List.of("lora", "moore")),
            "demo", new SuiteSpec("demo", "NLU-MTL demo (250 examples per task) on all-MiniLM-L6-v2", "minilm", List.of("nlu-mtl"),
                    250, 250, 128, 16, 63, 0, 1e-4, 2e-3, 5e-5, 0, 0, List.of("heads", "lora", "moore"), List.of(1L), List.of(), List.of()));

    public static SuiteSpec get(String name) {
        SuiteSpec s = BUILT_IN.get(name);
        if (s == null) {
            throw new MooreException("unknown suite '" + name + "' (suites: " + String.join(", ", BUILT_IN.keySet().stream().sorted().toList()) + ")");
        }
        return s;
    }

    /** The rate a method trains at: shared adapter rate, full fine-tuning's own; {@code lrOverride} > 0 replaces the adapter rate. */
    public double lrFor(String method, double lrOverride) {
        if (variant(method).getKey().equals("full")) {
            return fullLr;
        }
        return lrOverride > 0 ? lrOverride : adapterLr;
    }

    /** The training config of one run; {@code sweep} evaluates on the carved validation split and skips the oblivion figure. */
    public TrainConfig config(String entry, long seed, double lr, boolean sweep, Map<String, Object> extra) {
        var v = variant(entry);
        String method = v.getKey();
        Map<String, Object> adapter = new LinkedHashMap<>(v.getValue());
        if (extra != null) {
            adapter.putAll(extra);
        }
        TrainConfig.Builder b = TrainConfig.builder().model(model).method(method).tasks(tasks).maxTrainExamples(maxTrain).maxEvalExamples(maxEval)
                .maxLength(maxLength).batchSize(batchSize).maxSteps(maxSteps).evalEvery(evalEvery).lr(lr).headLr(headLr).schedule("constant")
                .warmup(0.1).clipNorm(1.0).seed(seed).oblivionExamples(oblivionExamples).adapter(adapter);
        if (sweep) {
            b.validationExamples(validation).maxEvalExamples(0).oblivion(false);
        }
        return b.build().validate();
    }
}
