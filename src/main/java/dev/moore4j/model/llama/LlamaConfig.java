package dev.moore4j.model.llama;

/**
 * Hyperparameters of a Llama-family decoder (Hugging Face {@code config.json} names). The family's variants are
 * fields, each off by default (the original Llama):
 * <ul>
 *   <li>{@code qkvBias}: Qwen2's q/k/v projections carry biases;</li>
 *   <li>{@code explicitHeadDim}: Qwen3's heads may be wider or narrower than {@code hidden / heads} (0: that quotient);</li>
 *   <li>{@code qkNorm}: Qwen3's RMSNorm over each query and key head before the rotation;</li>
 *   <li>{@code slidingWindow}: Mistral's window, a query sees the last {@code w} positions only (0: all);</li>
 *   <li>{@code ropeScaling}: Llama 3.1's frequency-dependent stretch of the rotary frequencies (null: none).</li>
 * </ul>
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
        String architecture,
        int explicitHeadDim,
        boolean qkNorm,
        int slidingWindow,
        RopeScaling ropeScaling) {

    /**
     * Llama 3's {@code rope_scaling} ({@code rope_type: llama3}): wavelengths longer than {@code original / lowFreqFactor}
     * are stretched by {@code factor}, those shorter than {@code original / highFreqFactor} kept, and those between
     * blended.
     */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
        /** The scaled inverse frequency. */
        public double apply(double invFreq) {
            double wavelen = 2 * Math.PI / invFreq;
            double lowWavelen = originalMaxPositions / lowFreqFactor;
            double highWavelen = originalMaxPositions / highFreqFactor;
            if (wavelen < highWavelen) {
                return invFreq;
            }
            if (wavelen > lowWavelen) {
                return invFreq / factor;
            }
            double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            return (1 - smooth) * invFreq / factor + smooth * invFreq;
        }
    }

    public LlamaConfig {
        if (numAttentionHeads <= 0 || (explicitHeadDim == 0 && hiddenSize % numAttentionHeads != 0)) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
        if (numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (explicitHeadDim < 0 || explicitHeadDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + explicitHeadDim + " must be even (rotary pairs)");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding_window " + slidingWindow + " must not be negative");
        }
    }

    /** The original Llama (and Qwen2 with {@code qkvBias}). */
    public LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads, int numKeyValueHeads,
                       int maxPositionEmbeddings, float rmsNormEps, float ropeTheta, boolean tieWordEmbeddings, boolean qkvBias, String architecture) {
        this(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, maxPositionEmbeddings, rmsNormEps,
                ropeTheta, tieWordEmbeddings, qkvBias, architecture, 0, false, 0, null);
    }

    public int headDim() {
        return explicitHeadDim > 0 ? explicitHeadDim : hiddenSize / numAttentionHeads;
    }

    /** Width of all query heads together: the q projection's output and the o projection's input. */
    public int qDim() {
        return numAttentionHeads * headDim();
    }

    public int kvDim() {
        return numKeyValueHeads * headDim();
    }
}
