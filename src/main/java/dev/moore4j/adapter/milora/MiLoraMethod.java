package dev.moore4j.adapter.milora;

import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.common.Spectral;
import dev.moore4j.adapter.pissa.PissaMethod;

/** MiLoRA: PiSSA's construction on the minor (bottom-r) singular triplets, leaving the principal subspace alone. */
@Method.Named(value = "milora", summary = "MiLoRA: LoRA initialised from the bottom-r singular triplets",
        display = "MiLoRA", colour = 0x009E73)
public final class MiLoraMethod extends PissaMethod {
    @Override
    protected int[] triplets(int k, int r) {
        return Spectral.range(k - r, r);
    }
}
