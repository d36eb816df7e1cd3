package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.adapter.Param;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Ops;

import java.util.SplittableRandom;

/**
 * A token router {@code p = softmax(W_g x)} over E experts. Dense ({@code topK = 0}): the gates are p.
 * Top-k: the gates are the softmax of the k largest logits, renormalised to sum to one, zero elsewhere.
 * With a load-balance coefficient the router leaves {@code coef · E · Σ_e f_e P_e} in the context (f_e:
 * share of tokens sent to e, P_e: mean probability of e), the Switch-Transformer loss. At inference it
 * counts where tokens go.
 */
public final class Router {
    private final Param weight; // W_g [E, d_in]
    private final int experts;
    private final int topK;
    private final double balanceCoef;
    private double[] load;
    private long tokens;

    public Router(String name, int experts, int dIn, int topK, double balanceCoef, SplittableRandom rnd, NDManager m, DataType dt) {
        this.experts = experts;
        this.topK = topK >= experts ? 0 : topK;
        this.balanceCoef = balanceCoef;
        this.weight = new Param(name, Init.create(m, Init.kaimingUniform(rnd, experts, dIn), dt, experts, dIn));
        this.load = new double[experts];
    }

    public Param param() {
        return weight;
    }

    public int experts() {
        return experts;
    }

    /** FLOPs per token in training (the router's matmul, trainable). */
    public double trainFlopsPerToken(int dIn) {
        return 6.0 * experts * dIn;
    }

    /** Gates [..., E] for inputs [..., d_in]. */
    public NDArray gates(NDArray x, ForwardContext ctx) {
        NDArray logits = x.matMul(weight.value().transpose());
        NDArray probs = logits.softmax(-1);
        if (topK == 0) {
            if (!ctx.training()) {
                count(probs, ctx.tokenMask());
            }
            return probs;
        }
        NDArray detached = logits.stopGradient();
        NDArray kth = detached.sort(-1).get(new NDIndex("..., {}:{}", experts - topK, experts - topK + 1));
        NDArray mask = detached.gte(kth).toType(logits.getDataType(), false);
        NDArray gates = logits.add(Ops.mul(Ops.add(mask, -1), 1e9)).softmax(-1); // renormalised over the selected
        if (ctx.training() && balanceCoef > 0) {
            // f and P are means over tokens: padding positions (0 in the context's token mask) are not tokens
            NDArray chosen = mask.reshape(-1, experts);
            NDArray prob = probs.reshape(-1, experts);
            NDArray f;
            NDArray p;
            if (ctx.tokenMask() == null) {
                f = Ops.div(chosen.mean(new int[] {0}), topK);
                p = prob.mean(new int[] {0});
            } else {
                NDArray keep = tokens(ctx.tokenMask(), chosen.getShape().get(0), prob); // [T, 1], a copy autograd may keep
                NDArray n = keep.sum();
                f = Ops.div(chosen.mul(keep).sum(new int[] {0}).div(n), topK);
                p = prob.mul(keep).sum(new int[] {0}).div(n);
            }
            ctx.addAuxLoss(Ops.mul(f.mul(p).sum(), balanceCoef * experts));
        }
        if (!ctx.training()) {
            count(Ops.div(mask, topK), ctx.tokenMask());
        }
        return gates;
    }

    /** Adds each token's share [..., E] to the load; padding positions (0 in {@code tokenMask}, null: none) are left out. */
    private void count(NDArray share, NDArray tokenMask) {
        NDArray rows = share.reshape(-1, experts);
        long n = rows.getShape().get(0);
        if (tokenMask != null) {
            NDArray keep = tokens(tokenMask, n, rows);
            rows = rows.mul(keep);
            n = Math.round(keep.sum().toType(DataType.FLOAT64, false).getDouble());
        }
        float[] s = rows.sum(new int[] {0}).toType(DataType.FLOAT32, false).toFloatArray();
        for (int e = 0; e < experts; e++) {
            load[e] += s[e];
        }
        tokens += n;
    }

    /** The token mask as a [positions, 1] column of {@code like}'s type (a copy in libtorch-owned memory). */
    private static NDArray tokens(NDArray tokenMask, long positions, NDArray like) {
        if (tokenMask.size() != positions) {
            throw new IllegalStateException("router: " + positions + " positions but a token mask of " + tokenMask.size());
        }
        return tokenMask.toType(like.getDataType(), true).reshape(-1, 1);
    }

    /** Share of tokens per expert since the last call (each row sums to one), then reset; null if none were seen. */
    public double[] takeLoad() {
        if (tokens == 0) {
            return null;
        }
        double[] out = new double[experts];
        for (int e = 0; e < experts; e++) {
            out[e] = load[e] / tokens;
        }
        load = new double[experts];
        tokens = 0;
        return out;
    }
}
