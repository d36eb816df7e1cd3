package dev.moore4j.model;

import ai.djl.ndarray.NDManager;

import dev.moore4j.tokenizer.TextTokenizer;

import java.util.List;

/** What every model family offers to adapters and tools: its linear slots, identity and memory. */
public interface TransformerModel extends AutoCloseable {
    /** "bert" or "llama". */
    String family();

    /** The hyperparameters it was built from (a record; {@code moore inspect} prints it). */
    Record config();

    /** Width of its hidden states: the embedding dimension of an encoder. */
    int hiddenSize();

    /** Attention heads per layer (of the queries): the memory plan counts one score per head and position pair. */
    int attentionHeads();

    /** The longest sequence it accepts, in tokens. */
    int maxPositions();

    /**
     * Flattened fp32 outputs on {@link Probe#SENTENCES} (last hidden states without padding for an encoder, logits for a
     * decoder): what "the adapted model computes what the base model did" compares.
     */
    float[] probeOutputs(TextTokenizer tok, ForwardContext ctx);

    /** Every linear layer, in forward order. */
    List<LinearSlot> linearSlots();

    /** The widest input of its linear layers: the width the matmul roofline is measured at. */
    default int widestInput() {
        return linearSlots().stream().mapToInt(l -> l.get().inFeatures()).max().orElse(1);
    }

    /** The feed-forward block of every layer, in forward order (for FFN-level adapters). */
    List<FfnSlot> ffnSlots();

    /** Number of frozen base parameters (embeddings, norms, linears). */
    long parameterCount();

    /** Parameters that {@code --weights-dtype fp16} holds in 16 bits: the linear weights (decoders: the token embeddings and head too). */
    default long frozenWeightCount() {
        return linearSlots().stream().mapToLong(l -> (long) l.get().inFeatures() * l.get().outFeatures()).sum();
    }

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
