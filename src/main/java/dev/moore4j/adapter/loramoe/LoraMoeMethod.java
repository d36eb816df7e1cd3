package dev.moore4j.adapter.loramoe;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.TargetMatcher;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;

import java.util.List;

/** LoRAMoE: on each FFN projection, {@code W x + Σ_e softmax(W_g x)_e (α/r) B_e A_e x} — dense routing over all experts. */
@Method.Named(value = "loramoe", summary = "LoRAMoE: dense mixture of LoRA experts on the FFN projections",
        display = "LoRAMoE", colour = 0x8C564B, kind = Method.Kind.MIXTURE)
public final class LoraMoeMethod extends ExpertLoraMethod<ExpertLoraMethod.DenseConfig> {
    public LoraMoeMethod() {
        super(LoraBank.A.PER_EXPERT, Outputs.AS_THEY_ARE);
    }

    @Override
    protected List<String> defaultTargets() {
        return List.of(TargetMatcher.FFN);
    }

    @Override
    public DenseConfig defaults() {
        return new DenseConfig(6, 8, 16, 0.05, List.of());
    }
}
