package dev.moore4j.adapter.mola;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;

import java.util.List;

/** MoLA: top-k (default 2) of E LoRA experts on every target projection, renormalised gates. */
@Method.Named(value = "mola", summary = "MoLA: top-2 mixture of LoRA experts on every target",
        display = "MoLA", colour = 0x9467BD, kind = Method.Kind.MIXTURE)
public final class MolaMethod extends ExpertLoraMethod<MolaMethod.Config> {
    /**
     * @param experts      LoRA experts per layer (default 8)
     * @param topK         experts per token (default 2)
     * @param r            rank of each expert (default 8)
     * @param alpha        scale numerator, α/r (default 16)
     * @param dropout      dropout on the adapter's input (default 0.05)
     * @param balanceCoef  load-balance loss coefficient (default 0: MoLA trains without one)
     * @param targets      target patterns (default: all linear layers)
     */
    public record Config(int experts, int topK, int r, double alpha, double dropout, double balanceCoef, List<String> targets) implements Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, topK, r, dropout);
        }
    }

    public MolaMethod() {
        super(LoraBank.A.PER_EXPERT, Outputs.AS_THEY_ARE);
    }

    @Override
    public Config defaults() {
        return new Config(8, 2, 8, 16, 0.05, 0, List.of());
    }

}
