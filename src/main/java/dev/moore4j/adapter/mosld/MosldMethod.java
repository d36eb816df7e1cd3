package dev.moore4j.adapter.mosld;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;

import java.util.List;

/**
 * MoSLD: LoRA experts that share one down-projection A, with dropout on the shared A itself while
 * training: {@code W x + (α/r) Σ_i g_i(x) B_i drop(A) x}; top-k routing.
 */
@Method.Named(value = "mosld", summary = "MoSLD: experts sharing a dropped-out A, top-k routing",
        display = "MoSLD", colour = 0x7F3C8D, kind = Method.Kind.MIXTURE)
public final class MosldMethod extends ExpertLoraMethod<MosldMethod.Config> {
    /**
     * @param experts  B experts per layer (default 8)
     * @param topK     experts per token (default 2; 0 = dense)
     * @param r        rank (default 8)
     * @param alpha    scale numerator, α/r (default 16)
     * @param dropout  dropout on the adapter's input (default 0.05)
     * @param aDropout dropout on the entries of the shared A (default 0.1)
     * @param targets  target patterns (default: all linear layers)
     */
    public record Config(int experts, int topK, int r, double alpha, double dropout, double aDropout, List<String> targets) implements Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, topK, r, dropout);
            MethodConfig.checkDropout("a_dropout", aDropout);
        }
    }

    public MosldMethod() {
        super(LoraBank.A.SHARED, Outputs.AS_THEY_ARE);
    }

    @Override
    public Config defaults() {
        return new Config(8, 2, 8, 16, 0.05, 0.1, List.of());
    }

}
