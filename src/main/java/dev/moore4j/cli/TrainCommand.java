package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.train.Run;
import dev.moore4j.train.TrainConfig;
import dev.moore4j.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code moore train}: multi-task training from a config file and/or flags (flags win). */
@Command(name = "train", description = "Train MoORE (or heads only) on several tasks at once; writes best/ and last/ checkpoints and summary.json.")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Option(names = "--config", description = "Config file: our JSON/YAML (fields of TrainConfig) or a reference MoE-PEFT JSON.")
    Path config;

    @Option(names = "--out", required = true, description = "Output directory (checkpoints, summary.json).")
    Path out;

    @Option(names = "--resume", description = "Continue from OUT/last if it exists.")
    boolean resume;

    @Option(names = "--stop-after", description = "Stop after this step with a last checkpoint, as if interrupted.")
    int stopAfter;

    @Option(names = "--model") String model;
    @Option(names = "--method", description = "Method (${COMPLETION-CANDIDATES}).", completionCandidates = AdaptCommand.MethodNames.class) String method;
    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable), e.g. --set r=16 --set top_k=2.") List<String> set;
    @Option(names = "--tasks", split = ",", description = "Tasks, suites (nlu-mtl, csr-mtl) or task spec files, comma-separated.") List<String> tasks;
    @Option(names = "--data", description = "Data root (default: $MOORE4J_DATA, else ../shared/data).") String data;
    @Option(names = "--max-train", description = "Per-task cap on training examples.") Integer maxTrain;
    @Option(names = "--max-eval", description = "Per-task cap on evaluation examples.") Integer maxEval;
    @Option(names = "--max-length") Integer maxLength;
    @Option(names = "--batch-size") Integer batchSize;
    @Option(names = "--grad-accum") Integer gradAccum;
    @Option(names = "--epochs") Double epochs;
    @Option(names = "--max-steps") Integer maxSteps;
    @Option(names = "--lr") Double lr;
    @Option(names = "--head-lr") Double headLr;
    @Option(names = "--weight-decay") Double weightDecay;
    @Option(names = "--schedule", description = "constant, cosine or wsd") String schedule;
    @Option(names = "--warmup") Double warmup;
    @Option(names = "--decay") Double decay;
    @Option(names = "--clip-norm") Double clipNorm;
    @Option(names = "--seed") Long seed;
    @Option(names = "--eval-every") Integer evalEvery;
    @Option(names = "--eval-batch-size") Integer evalBatchSize;
    @Option(names = "--householder", description = "MoORE/HRA: same as --set householder=L.") Integer householder;
    @Option(names = "--targets", split = ",", description = "Same as --set targets=….") List<String> targets;
    @Option(names = "--whole-sequence-loss") Boolean wholeSequenceLoss;
    @Option(names = "--skip-bad-rows") Boolean skipBadRows;
    @Option(names = "--no-oblivion", description = "Skip the before/after oblivion figure.") boolean noOblivion;
    @Option(names = "--max-skipped-steps", description = "Non-finite steps whose update may be dropped before stopping (default 0).") Integer maxSkipped;
    @Option(names = "--max-oblivion", description = "Encoders: STS-B dev pairs for the oblivion figure (0 = all).") Integer maxOblivion;
    @Option(names = "--trim-mb", description = "Return freed native memory to the OS whenever RSS exceeds the first 10 steps' working level by this many MiB (default 1024; 0 = off).") Integer trimMb;
    @Option(names = "--validation", description = "Per task, hold this many training examples out as the evaluation set (hyperparameter selection without the evaluation split).") Integer validation;
    @Option(names = "--held-out-text", description = "Decoders: text file for the perplexity oblivion figure.") String heldOutText;

    /** The config file (or defaults) with the given flags applied. */
    TrainConfig effectiveConfig() {
        TrainConfig base = config != null ? TrainConfig.read(config) : TrainConfig.defaults();
        ObjectNode n = base.toJson();
        put(n, "model", model);
        put(n, "method", method);
        if (tasks != null) {
            n.set("tasks", Common.JSON.valueToTree(tasks));
        }
        put(n, "data", data);
        put(n, "maxTrainExamples", maxTrain);
        put(n, "maxEvalExamples", maxEval);
        put(n, "maxLength", maxLength);
        put(n, "batchSize", batchSize);
        put(n, "gradAccum", gradAccum);
        put(n, "epochs", epochs);
        put(n, "maxSteps", maxSteps);
        put(n, "lr", lr);
        put(n, "headLr", headLr);
        put(n, "weightDecay", weightDecay);
        put(n, "schedule", schedule);
        put(n, "warmup", warmup);
        put(n, "decay", decay);
        put(n, "clipNorm", clipNorm);
        put(n, "seed", seed);
        put(n, "evalEvery", evalEvery);
        put(n, "evalBatchSize", evalBatchSize);
        java.util.Map<String, Object> adapter = new java.util.LinkedHashMap<>();
        if (method == null || method.equals(base.method())) {
            adapter.putAll(base.adapter()); // a config file's hyperparameters belong to its own method
        }
        String m = n.get("method").asText();
        if (householder != null) {
            adapter.put("householder", householder);
        }
        if (targets != null) {
            adapter.put("targets", targets);
        }
        adapter.putAll(dev.moore4j.adapter.Methods.parseAssignments(m, set));
        n.set("adapter", Common.JSON.valueToTree(adapter));
        put(n, "wholeSequenceLoss", wholeSequenceLoss);
        put(n, "skipBadRows", skipBadRows);
        if (noOblivion) {
            n.put("oblivion", false);
        }
        put(n, "heldOutText", heldOutText);
        put(n, "oblivionExamples", maxOblivion);
        put(n, "maxSkippedSteps", maxSkipped);
        put(n, "trimMb", trimMb);
        put(n, "validationExamples", validation);
        return TrainConfig.fromJson(n, config != null ? config.toString() : "flags").validate();
    }

    static void put(ObjectNode n, String field, Object v) {
        if (v != null) {
            n.set(field, Common.JSON.valueToTree(v));
        }
    }

    @Override
    public Integer call() {
        TrainConfig cfg = effectiveConfig();
        try (NDManager m = common.manager()) {
            ObjectNode summary = Run.train(cfg, out, new Trainer.Options(resume, stopAfter), m);
            if (common.json) {
                common.printJson(summary);
            } else {
                System.out.println(Report.summaryText(summary));
            }
        }
        return 0;
    }
}
