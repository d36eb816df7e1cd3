package dev.moore4j.model;

import ai.djl.ndarray.NDArray;

/**
 * A linear layer that can be written as one dense {@code y = W' x + b} (LoRA-family adapters, HRA, full
 * fine-tuning): export and inference use that form. Layers whose map depends on the token or task (mixtures,
 * MoORE) are not mergeable.
 */
public interface Mergeable extends Linear {
    /** W' as [in, out], computed now (no gradient); the caller owns the array. */
    NDArray mergedWeightInOut();

    /** The frozen bias [out], or null. */
    NDArray bias();
}
