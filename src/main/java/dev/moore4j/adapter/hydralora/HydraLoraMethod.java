package dev.moore4j.adapter.hydralora;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;

import java.util.List;

/** HydraLoRA: one shared A, N heads B_i (zero init) mixed densely: {@code W x + (α/r) Σ_i softmax(W_r x)_i B_i A x}. */
@Method.Named(value = "hydralora", summary = "HydraLoRA: shared A, router over several B heads",
        display = "HydraLoRA", colour = 0x17BECF, kind = Method.Kind.MIXTURE)
public final class HydraLoraMethod extends ExpertLoraMethod<ExpertLoraMethod.DenseConfig> {
    public HydraLoraMethod() {
        super(LoraBank.A.SHARED, Outputs.AS_THEY_ARE);
    }

    @Override
    public DenseConfig defaults() {
        return new DenseConfig(4, 8, 16, 0.05, List.of());
    }
}
