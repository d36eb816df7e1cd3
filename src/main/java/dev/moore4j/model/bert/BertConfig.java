package dev.moore4j.model.bert;

/** Hyperparameters of a BERT-family encoder (field names as in Hugging Face {@code config.json}). */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        int typeVocabSize,
        float layerNormEps) {

    public BertConfig {
        if (numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
