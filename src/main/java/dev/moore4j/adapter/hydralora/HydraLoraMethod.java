package dev.moore4j.adapter.hydralora;

import dev.moore4j.adapter.common.ExpertLoraMethod;

import java.util.List;

/** HydraLoRA: one shared A, N heads B_i (zero init) mixed densely: {@code W x + (α/r) Σ_i softmax(W_r x)_i B_i A x}. */
public final class HydraLoraMethod extends ExpertLoraMethod<HydraLoraMethod.Config> {
    /**
     * @param experts B heads per layer (default 4)
     * @param r       rank (default 8)
     * @param alpha   scale numerator, α/r (default 16)
     * @param dropout dropout on the adapter's input (default 0.05)
     * @param targets target patterns (default: all linear layers)
     */
    public record Config(int experts, int r, double alpha, double dropout, List<String> targets) implements Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, 0, r, dropout);
        }
    }

    public HydraLoraMethod() {
        super(true, false);
    }

    @Override
    public String name() {
        return "hydralora";
    }

    @Override
    public String summary() {
        return "HydraLoRA: shared A, router over several B heads";
    }

    @Override
    public Config defaults() {
        return new Config(4, 8, 16, 0.05, List.of());
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }
}
