package dev.moore4j.adapter.loramoe;

import dev.moore4j.adapter.TargetMatcher;
import dev.moore4j.adapter.common.ExpertLoraMethod;

import java.util.List;

/** LoRAMoE: on each FFN projection, {@code W x + Σ_e softmax(W_g x)_e (α/r) B_e A_e x} — dense routing over all experts. */
public final class LoraMoeMethod extends ExpertLoraMethod<LoraMoeMethod.Config> {
    /**
     * @param experts LoRA experts per layer (default 6)
     * @param r       rank of each expert (default 8)
     * @param alpha   scale numerator, α/r (default 16)
     * @param dropout dropout on the adapter's input (default 0.05)
     * @param targets target patterns (default: {@code ffn}, the feed-forward projections)
     */
    public record Config(int experts, int r, double alpha, double dropout, List<String> targets) implements Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, 0, r, dropout);
        }
    }

    public LoraMoeMethod() {
        super(false, false);
    }

    @Override
    protected List<String> defaultTargets() {
        return List.of(TargetMatcher.FFN);
    }

    @Override
    public String name() {
        return "loramoe";
    }

    @Override
    public String summary() {
        return "LoRAMoE: dense mixture of LoRA experts on the FFN projections";
    }

    @Override
    public Config defaults() {
        return new Config(6, 8, 16, 0.05, List.of());
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }
}
