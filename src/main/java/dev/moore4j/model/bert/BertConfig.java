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

    /**
     * The shape of the small English sentence encoders (MiniLM-L6/L12, BGE-small, E5-small): BERT's uncased vocabulary,
     * width 384 in 12 heads, feed-forward 1536, 512 positions, two segment types.
     */
    public static BertConfig smallEnglish(int layers) {
        return new BertConfig(30522, 384, layers, 12, 1536, 512, 2, 1e-12f);
    }

    /** The same encoder with only its first {@code layers} layers. */
    public BertConfig withLayers(int layers) {
        return new BertConfig(vocabSize, hiddenSize, layers, numAttentionHeads, intermediateSize, maxPositionEmbeddings, typeVocabSize, layerNormEps);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
