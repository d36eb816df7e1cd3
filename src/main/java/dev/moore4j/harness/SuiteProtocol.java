package dev.moore4j.harness;

import dev.moore4j.config.Schedule;
import dev.moore4j.io.WeightsDtype;

import java.util.Set;

/**
 * The part of a suite that is the same for every method: data sizes, steps, batch, schedule and evaluation. Its
 * defaults live in {@link #read} alone.
 *
 * @param maxTrain        training examples per task (0: all)
 * @param maxEval         evaluation examples per task (0: all)
 * @param maxSteps        optimiser steps of every multi-task run
 * @param evalEvery       evaluation and checkpoint interval (checkpoints make interrupted runs resumable); 0: at the end only
 * @param checkpointEvery checkpoint interval without evaluation (0: at evaluations only); the score is the last step's
 *                        either way, so a suite whose evaluation set is large checkpoints often and evaluates once
 * @param headLr          the task heads' rate in every run; heads-only runs train at their own rate instead
 * @param validation      training examples per task held out for the sweep, which never reads the evaluation split
 * @param analysisExamples evaluation examples per task that the routing analysis of a MoORE or mixture main run reads (at
 *                        the suite's first seed; 0: no analysis)
 * @param weightsDtype    how every run holds the frozen weights (fp32, or fp16 for half their memory)
 */
public record SuiteProtocol(int maxTrain, int maxEval, int maxLength, int batchSize, int maxSteps, int evalEvery, int checkpointEvery,
                            String schedule, double warmup, double headLr, boolean oblivion, int oblivionExamples, int validation,
                            int analysisExamples, WeightsDtype weightsDtype) {
    /** The routing analysis's evaluation examples per task unless the protocol says otherwise. */
    public static final int DEFAULT_ANALYSIS_EXAMPLES = 200;
    static final Set<String> FIELDS = Set.of("train_examples", "eval_examples", "max_length", "batch_size", "steps", "eval_every",
            "checkpoint_every", "schedule", "warmup", "head_lr", "oblivion", "oblivion_examples", "validation_examples", "analysis_examples",
            "weights_dtype");

    /** The {@code protocol:} mapping of a suite file, every default here. */
    static SuiteProtocol read(SuiteFields p) {
        String schedule = p.text("schedule", "constant");
        if (!Schedule.NAMES.contains(schedule)) {
            throw p.bad("schedule", String.join(", ", Schedule.NAMES));
        }
        double warmup = p.number("warmup", 0.1);
        if (warmup > 1) {
            throw p.bad("warmup", "a fraction in [0, 1]");
        }
        WeightsDtype dtype;
        try {
            dtype = WeightsDtype.parse(p.text("weights_dtype", "fp32"));
            dtype.storage();
        } catch (RuntimeException e) {
            throw p.bad("weights_dtype", "fp32 or fp16 (" + e.getMessage() + ")");
        }
        return new SuiteProtocol(p.integer("train_examples", 0, 0), p.integer("eval_examples", 0, 0), p.integer("max_length", 128, 8),
                p.integer("batch_size", 16, 1), p.integer("steps", null, 1), p.integer("eval_every", 0, 0), p.integer("checkpoint_every", 0, 0),
                schedule, warmup, p.number("head_lr", 2e-3), p.bool("oblivion", true), p.integer("oblivion_examples", 0, 0),
                p.integer("validation_examples", 0, 0), p.integer("analysis_examples", DEFAULT_ANALYSIS_EXAMPLES, 0), dtype);
    }

    /** A copy with other sizes (the demo's options). */
    public SuiteProtocol withSizes(int maxTrain, int maxEval, int maxSteps, int oblivionExamples) {
        return new SuiteProtocol(maxTrain, maxEval, maxLength, batchSize, maxSteps, evalEvery, checkpointEvery, schedule, warmup, headLr,
                oblivion, oblivionExamples, validation, analysisExamples, weightsDtype);
    }

    /** A copy whose runs hold the frozen weights as {@code dtype}. */
    public SuiteProtocol withWeightsDtype(WeightsDtype dtype) {
        return new SuiteProtocol(maxTrain, maxEval, maxLength, batchSize, maxSteps, evalEvery, checkpointEvery, schedule, warmup, headLr,
                oblivion, oblivionExamples, validation, analysisExamples, dtype);
    }

    /** The routing analysis's examples per task: never more than the suite evaluates (the demo's --max-eval, a small protocol). */
    public int analysisPerTask() {
        return maxEval > 0 ? Math.min(analysisExamples, maxEval) : analysisExamples;
    }
}
