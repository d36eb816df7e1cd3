package dev.moore4j.model;

import ai.djl.ndarray.NDArray;

/** A linear map applied to the last axis: {@code (..., inFeatures) -> (..., outFeatures)}. */
public interface Linear extends AutoCloseable {
    NDArray forward(NDArray x, ForwardContext ctx);

    int inFeatures();

    int outFeatures();

    /** Frees native memory owned by this layer. */
    @Override
    void close();
}
