package dev.moore4j.adapter.pissa;

import ai.djl.ndarray.NDArray;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.common.LoraBank;
import dev.moore4j.adapter.common.LowRankLinear;
import dev.moore4j.adapter.common.Spectral;
import dev.moore4j.adapter.lora.LoraMethod;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.DenseLinear;

import java.util.List;

/**
 * PiSSA: LoRA whose factors start as the top-r singular triplets, split evenly ({@code A = diag(√(s/c)) Vᵀ},
 * {@code B = U diag(√(s/c))}, c = α/r) and taken out of the frozen weight ({@code W_res = W − c B A}), so the
 * model at initialisation is the base model. MiLoRA reuses it with the bottom-r triplets.
 */
@Method.Named(value = "pissa", summary = "PiSSA: LoRA initialised from the top-r singular triplets",
        display = "PiSSA", colour = 0x56B4E9)
public class PissaMethod extends LoraMethod {
    /** The triplets the factors start from: the principal (top-r) ones. */
    protected int[] triplets(int k, int r) {
        return Spectral.range(0, r);
    }

    /** LoRA's keys; α 8 with r 8 (c = 1), the PiSSA paper's setting. */
    @Override
    public Config defaults() {
        return new Config(8, 8, 0.05, List.of());
    }

    /** W_res = W − c·AᵀB is computed (and held) in fp32. */
    @Override
    protected boolean keeps16BitWeights() {
        return false;
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        double scale = c.alpha() / c.r();
        Spectral.Triplets t = Spectral.of(w, ctx.cache(), Svd.Precision.FP32);
        NDArray wio = w.weightInOut();
        NDArray[] ab = Spectral.split(t, triplets(t.k(), c.r()), scale, wio.getManager(), wio.getDataType());
        NDArray residual = Spectral.residual(wio, ab, scale);
        w.closeWeight();
        return LowRankLinear.single(slot, residual, w.bias(), new LoraBank(slot, 1, c.r(), LoraBank.A.PER_EXPERT, ab[0], ab[1]), scale, c.dropout());
    }
}
