package dev.moore4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Small named helpers shared by the model families, so each forward reads like its maths. */
public final class Ops {
    private Ops() {}

    /**
     * Runs one transformer layer. At inference (no gradient to keep activations for) the layer's
     * intermediate arrays are freed as soon as it returns, instead of at the end of the whole forward:
     * without this a long evaluation batch holds every layer's activations at once.
     */
    public static NDArray layer(boolean freeIntermediates, java.util.function.Supplier<NDArray> body) {
        if (!freeIntermediates) {
            return body.get();
        }
        NDArray out;
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            out = body.get();
            ai.djl.ndarray.NDScope.unregister(out);
        }
        ai.djl.ndarray.NDScope.register(out); // back into the caller's scope, if there is one
        return out;
    }

    /** LayerNorm over the last axis. */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, float eps) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(x.getShape().getShape()[x.getShape().dimension() - 1]), gamma, beta, eps).singletonOrThrow();
    }

    /** RMSNorm over the last axis: {@code x / sqrt(mean(x²) + eps) * w}. */
    public static NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        NDArray ms = x.square().mean(new int[] {-1}, true);
        return x.mul(ms.add(eps).sqrt().pow(-1)).mul(weight);
    }

    /** GELU, exact (erf) form as in BERT. */
    public static NDArray gelu(NDArray x) {
        return x.mul(x.mul((float) (1 / Math.sqrt(2))).erf().add(1f)).mul(0.5f);
    }

    /** SiLU: {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
    }

    /** Splits [B, S, H*dh] into heads: [B, H, S, dh]. */
    public static NDArray splitHeads(NDArray x, int heads) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
    }

    /** Inverse of {@link #splitHeads}: [B, H, S, dh] to [B, S, H*dh]. */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }
}
