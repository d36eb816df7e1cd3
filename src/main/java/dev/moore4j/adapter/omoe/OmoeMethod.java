package dev.moore4j.adapter.omoe;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;

import java.util.List;

/**
 * OMoE: LoRA experts whose outputs are orthogonalised per token (Gram–Schmidt, in expert order) before
 * the router mixes them, so experts cannot collapse onto one direction. Projections are removed but the
 * lengths kept (not rescaled to one): with B = 0 at init the layer is exactly the base layer and the
 * gradients stay bounded.
 */
@Method.Named(value = "omoe", summary = "OMoE: LoRA experts with Gram-Schmidt-orthogonalised outputs",
        display = "OMoE", colour = 0xE41A1C, kind = Method.Kind.MIXTURE)
public final class OmoeMethod extends ExpertLoraMethod<OmoeMethod.Config> {
    /**
     * @param experts LoRA experts per layer (default 4)
     * @param topK    experts per token (default 0 = dense)
     * @param r       rank of each expert (default 8)
     * @param alpha   scale numerator, α/r (default 16)
     * @param dropout dropout on the adapter's input (default 0.05)
     * @param targets target patterns (default: all linear layers)
     */
    public record Config(int experts, int topK, int r, double alpha, double dropout, List<String> targets) implements Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, topK, r, dropout);
        }
    }

    public OmoeMethod() {
        super(LoraBank.A.PER_EXPERT, Outputs.ORTHOGONALISED);
    }

    @Override
    public Config defaults() {
        return new Config(4, 0, 8, 16, 0.05, List.of());
    }

}
