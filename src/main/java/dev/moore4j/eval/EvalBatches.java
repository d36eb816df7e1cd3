package dev.moore4j.eval;

import dev.moore4j.config.TrainConfig;

/**
 * How evaluation, the oblivion probe and the routing analysis cut their examples into batches: at most
 * {@code examples} examples and {@code tokens} tokens (all sequences of all its examples) each; one example longer
 * than that goes alone. A run's batches hold no more tokens than one of its training micro-batches, so that scoring
 * never sets the run's memory peak: inference keeps one layer's arrays where training keeps every layer's.
 */
public record EvalBatches(int examples, int tokens) {
    /** Tokens per evaluation batch at most, whatever the training batch. */
    public static final int MAX_TOKENS = 16384;

    public EvalBatches {
        if (examples < 1 || tokens < 1) {
            throw new IllegalArgumentException("evaluation batches of " + examples + " examples and " + tokens + " tokens");
        }
    }

    /** For a run of {@code cfg}: its evaluation batch size, and the tokens of one training micro-batch at full length. */
    public static EvalBatches of(TrainConfig cfg) {
        long micro = (long) Math.max(1, cfg.batchSize() / cfg.gradAccum()) * cfg.maxLength();
        return new EvalBatches(cfg.evalBatchSize(), (int) Math.min(MAX_TOKENS, Math.max(cfg.maxLength(), micro)));
    }

    /** {@code examples} per batch within the general token bound (tests, tools without a training config). */
    public static EvalBatches ofExamples(int examples) {
        return new EvalBatches(examples, MAX_TOKENS);
    }
}
