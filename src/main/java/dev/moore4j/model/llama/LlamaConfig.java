package dev.moore4j.model.llama;

/**
 * Hyperparameters of a Llama-family decoder (Hugging Face {@code config.json} names). {@code qkvBias}
 * covers Qwen2, whose q/k/v projections carry biases.
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int maxPositionEmbeddings,
        float rmsNormEps,
        float ropeTheta,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        String architecture) {

    public LlamaConfig {
        if (numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
        if (numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public int kvDim() {
        return numKeyValueHeads * headDim();
    }
}
