package dev.moore4j.model.llama;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The Hugging Face decoder families that {@link LlamaModel} runs: their architecture and {@code model_type} names,
 * and what each adds to Llama's layout. The checkpoint reader and writer look a family up here, nowhere else.
 */
public enum LlamaFamily {
    LLAMA("LlamaForCausalLM", "llama"),
    QWEN2("Qwen2ForCausalLM", "qwen2", Trait.QKV_BIAS),
    QWEN3("Qwen3ForCausalLM", "qwen3", Trait.QK_NORM),
    MISTRAL("MistralForCausalLM", "mistral", Trait.SLIDING_WINDOW),
    PHI3("Phi3ForCausalLM", "phi3", Trait.SLIDING_WINDOW, Trait.FUSED),
    /** Local and global layers alternating, soft caps of scores and logits. */
    GEMMA2("Gemma2ForCausalLM", "gemma2", Trait.SLIDING_WINDOW, Trait.GEMMA),
    /** Five local layers to one global, q/k norms, the local layers' own rotary base; text only ({@code gemma3_text}). */
    GEMMA3("Gemma3ForCausalLM", "gemma3_text", Trait.SLIDING_WINDOW, Trait.GEMMA, Trait.QK_NORM);

    /** What a family adds to the Llama layout. */
    public enum Trait {
        /** q/k/v projections always carry biases (others may, with {@code attention_bias}). */
        QKV_BIAS,
        /** RMSNorm over each query and key head before the rotation. */
        QK_NORM,
        /** The config's {@code sliding_window} applies. */
        SLIDING_WINDOW,
        /** q/k/v stored as one {@code qkv_proj}, gate and up as one {@code gate_up_proj}. */
        FUSED,
        /** Gemma's layer ({@link LlamaConfig.Gemma}); the head tied unless the config says otherwise. */
        GEMMA
    }

    private final String architecture;
    private final String modelType;
    private final Set<Trait> traits;

    LlamaFamily(String architecture, String modelType, Trait... traits) {
        this.architecture = architecture;
        this.modelType = modelType;
        this.traits = traits.length == 0 ? EnumSet.noneOf(Trait.class) : EnumSet.copyOf(Arrays.asList(traits));
    }

    public String architecture() {
        return architecture;
    }

    public String modelType() {
        return modelType;
    }

    public boolean has(Trait t) {
        return traits.contains(t);
    }

    public boolean qkvBias() {
        return has(Trait.QKV_BIAS);
    }

    public boolean slidingWindow() {
        return has(Trait.SLIDING_WINDOW);
    }

    public boolean fused() {
        return has(Trait.FUSED);
    }

    /** The family of an architecture name ({@code architectures[0]}) or a {@code model_type}. */
    public static Optional<LlamaFamily> of(String name) {
        return Arrays.stream(values()).filter(f -> f.architecture.equals(name) || f.modelType.equals(name)).findFirst();
    }

    /** The family a config names, Llama where it names none of ours (a llama2.c checkpoint). */
    public static LlamaFamily of(LlamaConfig c) {
        return of(c.architecture()).orElse(c.qkvBias() ? QWEN2 : LLAMA);
    }
}
