package dev.moore4j.model.llama;

import java.util.Arrays;
import java.util.Optional;

/**
 * The Hugging Face decoder families that {@link LlamaModel} runs: their architecture and {@code model_type} names,
 * and what each adds to Llama's layout. The checkpoint reader and writer look a family up here, nowhere else.
 */
public enum LlamaFamily {
    LLAMA("LlamaForCausalLM", "llama", false, false, false),
    /** q/k/v biases. */
    QWEN2("Qwen2ForCausalLM", "qwen2", true, false, false),
    /** RMSNorm over each query and key head; {@code head_dim} of its own. */
    QWEN3("Qwen3ForCausalLM", "qwen3", false, true, false),
    /** Sliding-window attention. */
    MISTRAL("MistralForCausalLM", "mistral", false, true, false),
    /** Sliding-window attention; q/k/v stored as one {@code qkv_proj}, gate and up as one {@code gate_up_proj}. */
    PHI3("Phi3ForCausalLM", "phi3", false, true, true);

    private final String architecture;
    private final String modelType;
    private final boolean qkvBias;
    private final boolean slidingWindow;
    private final boolean fused;

    LlamaFamily(String architecture, String modelType, boolean qkvBias, boolean slidingWindow, boolean fused) {
        this.architecture = architecture;
        this.modelType = modelType;
        this.qkvBias = qkvBias;
        this.slidingWindow = slidingWindow;
        this.fused = fused;
    }

    public String architecture() {
        return architecture;
    }

    public String modelType() {
        return modelType;
    }

    /** Whether its q/k/v projections always carry biases (others may, with {@code attention_bias}). */
    public boolean qkvBias() {
        return qkvBias;
    }

    /** Whether its config's {@code sliding_window} applies. */
    public boolean slidingWindow() {
        return slidingWindow;
    }

    /** Whether it stores q/k/v and gate/up fused. */
    public boolean fused() {
        return fused;
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
