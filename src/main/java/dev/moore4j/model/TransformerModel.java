package dev.moore4j.model;

import ai.djl.ndarray.NDManager;

import java.util.List;

/** What every model family offers to adapters and tools: its linear slots, identity and memory. */
public interface TransformerModel extends AutoCloseable {
    /** "bert" or "llama". */
    String family();

    /** Every linear layer, in forward order. */
    List<LinearSlot> linearSlots();

    /** The feed-forward block of every layer, in forward order (for FFN-level adapters). */
    List<FfnSlot> ffnSlots();

    /** Number of frozen base parameters (embeddings, norms, linears). */
    long parameterCount();

    /** Bytes of arrays in the model's manager that are views of other arrays there (counted twice by a sum over the manager). */
    default long aliasedBytes() {
        return 0;
    }

    /** The manager owning the model's weights. */
    NDManager manager();

    /** Stable identity of the base weights (hash), recorded by adapters and caches. */
    String weightsHash();

    @Override
    void close();
}
