package dev.moore4j.adapter.goat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;
import dev.moore4j.adapter.common.LowRankLinear;
import dev.moore4j.adapter.common.Router;
import dev.moore4j.adapter.common.Spectral;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.DenseLinear;

import java.util.List;
import java.util.SplittableRandom;

/**
 * GOAT: E LoRA experts of rank r/E, expert i initialised from the i-th of E equal segments of the
 * spectrum (its first r/E triplets), each triplet scaled by 1/(s_f ρ) and split as in PiSSA; the frozen
 * weight becomes {@code W_res = W − (s_f/E) Σ_i B_i A_i}; top-k routing, renormalised, with a load-balance
 * loss. The scale s_f is α/(r/E) ({@code scale=alpha}) or the paper's √(3 η d_in / r_e) ({@code scale=paper}).
 * Not exact at initialisation: the top-k gates are not the uniform 1/E that W_res assumes.
 */
@Method.Named(value = "goat", summary = "GOAT: SVD-segment-initialised LoRA experts, top-2, load balance",
        display = "GOAT", colour = 0x4DAF4A, kind = Method.Kind.MIXTURE)
public final class GoatMethod extends ExpertLoraMethod<GoatMethod.Config> {
    /**
     * @param experts     experts per layer (default 8)
     * @param topK        experts per token (default 2)
     * @param r           total rank, divided among the experts (default 32: 4 each)
     * @param alpha       scale numerator for {@code scale=alpha} (default 32: s_f = 8)
     * @param rho         spectrum scaling ρ (default 10)
     * @param scale       {@code alpha} (s_f = α/(r/E)) or {@code paper} (s_f = √(3 η d_in / r_e))
     * @param eta         η of the paper's scale (default 1)
     * @param dropout     dropout on the adapter's input (default 0.05)
     * @param balanceCoef load-balance loss coefficient (default 1e-3)
     * @param targets     target patterns (default: all linear layers)
     */
    public record Config(int experts, int topK, int r, double alpha, double rho, String scale, double eta, double dropout, double balanceCoef,
                         List<String> targets) implements Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, topK, r, dropout);
            if (r % experts != 0) {
                throw new MooreException("key 'r' = " + r + " must be divisible by 'experts' = " + experts + " (each expert gets rank r/experts)");
            }
            if (!"alpha".equals(scale) && !"paper".equals(scale)) {
                throw new MooreException("key 'scale' must be 'alpha' or 'paper', got '" + scale + "'");
            }
            if (!(rho > 0) || !(eta > 0)) {
                throw new MooreException("keys 'rho' and 'eta' must be positive");
            }
        }

        /** s_f of a layer with d_in inputs. */
        double scaleFactor(int dIn) {
            int re = r / experts;
            return "paper".equals(scale) ? Math.sqrt(3 * eta * dIn / re) : alpha / re;
        }
    }

    public GoatMethod() {
        super(LoraBank.A.PER_EXPERT, Outputs.AS_THEY_ARE);
    }

    @Override
    public boolean exactAtInit() {
        return false;
    }

    @Override
    public Config defaults() {
        return new Config(8, 2, 32, 32, 10, "alpha", 1, 0.05, 1e-3, List.of());
    }

    @Override
    protected int expertRank(Config c) {
        return c.r() / c.experts();
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        NDArray wio = w.weightInOut();
        NDManager m = wio.getManager();
        DataType dt = wio.getDataType();
        int re = expertRank(c);
        double sf = c.scaleFactor(w.inFeatures());
        Spectral.Triplets t = Spectral.of(w, ctx.cache(), Svd.Precision.FP32);
        int segment = t.k() / c.experts();
        int[] idx = new int[c.r()];
        for (int i = 0; i < c.experts(); i++) {
            System.arraycopy(Spectral.range(i * segment, re), 0, idx, i * re, re);
        }
        NDArray[] ab = Spectral.split(t, idx, sf * c.rho(), m, dt); // expert blocks stacked in order
        NDArray residual = Spectral.residual(wio, ab, sf / c.experts());
        w.closeWeight();
        Router router = new Router(slot + ".router", c.experts(), w.inFeatures(), c.topK(), c.balanceCoef(),
                new SplittableRandom(ctx.layerSeed(index)), m, dt);
        return LowRankLinear.mixture(slot, residual, w.bias(), new LoraBank(slot, c.experts(), re, LoraBank.A.PER_EXPERT, ab[0], ab[1]), sf, c.dropout(),
                new LowRankLinear.Mixing(router, 0, false));
    }
}
