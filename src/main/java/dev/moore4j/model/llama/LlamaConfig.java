package dev.moore4j.model.llama;

/**
 * Hyperparameters of a Llama-family decoder (Hugging Face {@code config.json} names). The family's variants are
 * fields, each off by default (the original Llama):
 * <ul>
 *   <li>{@code qkvBias}: Qwen2's q/k/v projections carry biases;</li>
 *   <li>{@code explicitHeadDim}: Qwen3's heads may be wider or narrower than {@code hidden / heads} (0: that quotient);</li>
 *   <li>{@code qkNorm}: Qwen3's RMSNorm over each query and key head before the rotation;</li>
 *   <li>{@code slidingWindow}: Mistral's window, a query sees the last {@code w} positions only (0: all);</li>
 *   <li>{@code ropeScaling}: Llama 3.1's frequency-dependent stretch of the rotary frequencies, or Gemma 3's linear one (null: none);</li>
 *   <li>{@code gemma}: Gemma 2 and 3's departures from the Llama layer (null: none).</li>
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
        RopeScaling ropeScaling,
        Gemma gemma) {

    /** A {@code rope_scaling}: how the rotary inverse frequencies are rescaled. */
    public sealed interface RopeScaling permits Llama3Scaling, LinearScaling {
        /** The scaled inverse frequency. */
        double apply(double invFreq);
    }

    /** {@code rope_type: linear}: every frequency divided by {@code factor} (positions stretched). */
    public record LinearScaling(double factor) implements RopeScaling {
        @Override
        public double apply(double invFreq) {
            return invFreq / factor;
        }
    }

    /**
     * Llama 3's {@code rope_scaling} ({@code rope_type: llama3}): wavelengths longer than {@code original / lowFreqFactor}
     * are stretched by {@code factor}, those shorter than {@code original / highFreqFactor} kept, and those between
     * blended.
     */
    public record Llama3Scaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) implements RopeScaling {
        @Override
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

    /**
     * What Gemma 2 and 3 change in the Llama layer: RMSNorm scales by {@code 1 + w}; embeddings are multiplied by √D; the
     * attention and FFN outputs are normed too before they join the residual; the FFN gate is GELU (tanh form); scores
     * are scaled by {@code queryPreAttnScalar^-½}; {@code attnSoftcap} and {@code finalSoftcap} (0: none) bound scores
     * and logits by {@code cap · tanh(x / cap)}; layers are local (the sliding window) but for every
     * {@code globalEvery}-th, which sees everything; Gemma 3's local layers rotate with base {@code localRopeTheta}
     * (0: {@code rope_theta}) and without the rope scaling.
     */
    public record Gemma(float queryPreAttnScalar, float attnSoftcap, float finalSoftcap, int globalEvery, float localRopeTheta) {
        public Gemma {
            if (!(queryPreAttnScalar > 0) || attnSoftcap < 0 || finalSoftcap < 0 || globalEvery < 1 || localRopeTheta < 0) {
                throw new IllegalArgumentException("query_pre_attn_scalar must be positive, softcaps not negative, the sliding-window "
                        + "pattern at least 1 (got " + queryPreAttnScalar + ", " + attnSoftcap + ", " + finalSoftcap + ", " + globalEvery + ")");
            }
        }
    }

    /** Which rotation and mask a layer uses: local layers attend within the sliding window. */
    public enum Span { GLOBAL, LOCAL }

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
                ropeTheta, tieWordEmbeddings, qkvBias, architecture, 0, false, 0, null, null);
    }

    /** Layer {@code i}'s span: local where a window applies to it (every layer, or Gemma's pattern), else global. */
    public Span span(int layer) {
        boolean local = slidingWindow > 0 && (gemma == null || (layer + 1) % gemma.globalEvery() != 0);
        return local ? Span.LOCAL : Span.GLOBAL;
    }

    /** The spans some layer uses. */
    public java.util.Set<Span> spans() {
        java.util.Set<Span> out = java.util.EnumSet.noneOf(Span.class);
        for (int i = 0; i < numHiddenLayers; i++) {
            out.add(span(i));
        }
        return out;
    }

    /** The keys a query of this span sees at most (0: all before it). */
    public int window(Span span) {
        return span == Span.LOCAL ? slidingWindow : 0;
    }

    /** Whether the span rotates with a base and scaling of its own (Gemma 3's local layers). */
    public boolean ownRotation(Span span) {
        return span == Span.LOCAL && gemma != null && gemma.localRopeTheta() > 0;
    }

    /** The rotary inverse frequency of pair {@code i} for a span. */
    public double invFreq(Span span, int i) {
        if (ownRotation(span)) {
            return Math.pow(gemma.localRopeTheta(), -2.0 * i / headDim());
        }
        double f = Math.pow(ropeTheta, -2.0 * i / headDim());
        return ropeScaling != null ? ropeScaling.apply(f) : f;
    }

    /** How attention scores are scaled before the softmax. */
    public double scoreScale() {
        return 1.0 / Math.sqrt(gemma != null ? gemma.queryPreAttnScalar() : headDim());
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
