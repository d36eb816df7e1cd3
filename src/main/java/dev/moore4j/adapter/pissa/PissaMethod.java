package dev.moore4j.adapter.pissa;

import ai.djl.ndarray.NDArray;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.common.LoraBank;
import dev.moore4j.adapter.common.LowRankLinear;
import dev.moore4j.adapter.common.Spectral;
import dev.moore4j.adapter.lora.LoraMethod;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.Ops;

import java.util.List;

/**
 * PiSSA: LoRA whose factors start as the top-r singular triplets, split evenly ({@code A = diag(√(s/c)) Vᵀ},
 * {@code B = U diag(√(s/c))}, c = α/r) and taken out of the frozen weight ({@code W_res = W − c B A}), so the
 * model at initialisation is the base model. MiLoRA reuses it with the bottom-r triplets.
 */
public class PissaMethod extends LinearMethod<PissaMethod.Config> {
    /**
     * @param r       rank (default 8)
     * @param alpha   scale numerator, c = α/r (default 8: c = 1, the PiSSA paper's setting)
     * @param dropout dropout on the adapter's input while training (default 0.05)
     * @param targets target patterns (default: all linear layers)
     */
    public record Config(int r, double alpha, double dropout, List<String> targets) implements MethodConfig {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            LoraMethod.checkDropout("dropout", dropout);
        }
    }

    @Override
    public String name() {
        return "pissa";
    }

    @Override
    public String summary() {
        return "PiSSA: LoRA initialised from the top-r singular triplets";
    }

    /** The triplets the factors start from: the principal (top-r) ones. */
    protected int[] triplets(int k, int r) {
        return Spectral.range(0, r);
    }

    @Override
    public Config defaults() {
        return new Config(8, 8, 0.05, List.of());
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    @Override
    protected void check(Config c, String slot, int dIn, int dOut, int tasks) {
        checkRank(name(), "r", c.r(), slot, dIn, dOut);
    }

    @Override
    protected long layerCount(Config c, int dIn, int dOut, int tasks) {
        return LoraBank.count(1, c.r(), dIn, dOut, false);
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        double scale = c.alpha() / c.r();
        Spectral.Triplets t = Spectral.of(w, ctx.cache(), false);
        NDArray wio = w.weightInOut();
        NDArray[] ab = Spectral.split(t, triplets(t.k(), c.r()), scale, wio.getManager(), wio.getDataType());
        NDArray residual = wio.sub(Ops.mul(ab[0].transpose().matMul(ab[1]), scale)); // W_res = W − c·B A (in-out layout)
        w.closeWeight();
        return new LowRankLinear(slot, residual, w.bias(), new LoraBank(slot, 1, c.r(), false, ab[0], ab[1]), null, scale, c.dropout(), 0, false);
    }
}
