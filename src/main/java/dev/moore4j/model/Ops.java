package dev.moore4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;

import dev.moore4j.engine.Engines;

import java.util.function.BinaryOperator;
import java.util.function.Supplier;

/** Small named helpers shared by the model families, so each forward reads like its maths. */
public final class Ops {
    private Ops() {}

    /**
     * Runs one transformer layer and frees its intermediate arrays as soon as it returns, as PyTorch's
     * reference counting does, instead of at the end of the step: DJL otherwise keeps every array a
     * step creates until its manager closes. Training too: autograd holds its own references to what
     * the backward pass needs, so closing the Java handles frees exactly the rest. Arrays a layer keeps
     * past its return (caches, auxiliary losses) are unregistered from the scope where they are made.
     */
    public static NDArray layer(boolean freeIntermediates, Supplier<NDArray> body) {
        if (!freeIntermediates) {
            return body.get();
        }
        NDArray out;
        try (NDScope scope = new NDScope()) {
            out = body.get();
            NDScope.unregister(out);
        }
        NDScope.register(out); // back into the caller's scope, if there is one
        return out;
    }

    // Scalar arithmetic. DJL's Number overloads (x.mul(0.5f), x.add(1f), …) put the scalar in a Java
    // direct buffer and free it as soon as the op returns, but autograd keeps that tensor for the
    // backward pass: after a GC, backward reads freed memory (wrong or NaN gradients, at random). These
    // forms give the scalar libtorch-owned memory instead; GcSafetyTest keeps the overloads out.

    /** A 0-d tensor of {@code like}'s type holding {@code c}, in libtorch-owned memory. */
    /**
     * An int64 index tensor in libtorch-owned memory. {@code manager.create(long[])} would alias a Java
     * direct buffer that the GC may free once the handle is closed, while autograd still holds the
     * tensor (indexing saves its indices for the backward pass).
     */
    public static NDArray indices(NDManager m, long[] values) {
        try (NDArray host = m.create(values)) {
            return host.duplicate();
        }
    }

    public static NDArray scalar(NDArray like, double c) {
        DataType dt = like.getDataType();
        if (dt != DataType.FLOAT64) {
            return like.getManager().full(new Shape(), (float) c, dt);
        }
        try (NDArray host = like.getManager().create(c)) { // float64 from a Java buffer: clone it out
            return host.duplicate();
        }
    }

    private static NDArray withScalar(NDArray x, double c, BinaryOperator<NDArray> op) {
        try (NDArray k = scalar(x, c)) { // autograd holds its own reference: closing the handle is safe
            return op.apply(x, k);
        }
    }

    public static NDArray mul(NDArray x, double c) {
        return withScalar(x, c, NDArray::mul);
    }

    public static NDArray div(NDArray x, double c) {
        return withScalar(x, c, NDArray::div);
    }

    public static NDArray add(NDArray x, double c) {
        return withScalar(x, c, NDArray::add);
    }

    public static NDArray pow(NDArray x, double c) {
        return withScalar(x, c, NDArray::pow);
    }

    /** Elementwise max(x, c). */
    public static NDArray maximum(NDArray x, double c) {
        return withScalar(x, c, NDArray::maximum);
    }

    /** x ← x·c in place (no autograd: gradients, optimiser state). */
    public static void muli(NDArray x, double c) {
        withScalar(x, c, NDArray::muli);
    }

    /**
     * Inverted dropout with rate p while training; the identity otherwise (or for p = 0). Bit-identical to
     * libtorch's dropout with the same random state, but what the backward pass keeps is a bool mask and a
     * scalar instead of libtorch's float noise tensor: a quarter of the bytes. The noise is drawn by
     * libtorch's own dropout of a tensor of ones (the same random stream), so its kept value 1/(1-p) is
     * libtorch's, and x·m·s equals x·(m·s) because m is 0 or 1.
     */
    public static NDArray dropout(NDArray x, double p, boolean training) {
        if (!training || p <= 0) {
            return x;
        }
        NDArray mask;
        NDArray scale;
        try (NDArray ones = x.onesLike(); NDArray noise = Dropout.dropout(ones, (float) p, true).singletonOrThrow()) {
            mask = withScalar(noise, 0, NDArray::gt);
            scale = noise.max();
        }
        return x.mul(mask).mul(scale);
    }

    /** LayerNorm over the last axis. */
    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, float eps) {
        return LayerNorm.layerNorm(x, new Shape(x.getShape().getShape()[x.getShape().dimension() - 1]), gamma, beta, eps).singletonOrThrow();
    }

    /** RMSNorm over the last axis: {@code x / sqrt(mean(x²) + eps) * w}. */
    public static NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        NDArray ms = x.square().mean(new int[] {-1}, true);
        return x.mul(pow(add(ms, eps).sqrt(), -1)).mul(weight);
    }

    /** GELU, exact (erf) form as in BERT: libtorch's fused op, which keeps only x for the backward pass. */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /**
     * x · w for a frozen w that may be held in 16 bits: w is widened to x's type for the product (see {@link #wideFor}).
     */
    public static NDArray frozenMatMul(NDArray x, NDArray w) {
        if (w.getDataType() == x.getDataType()) {
            return x.matMul(w);
        }
        NDArray wide = wideFor(x, w);
        try {
            return x.matMul(wide);
        } finally {
            wide.close();
        }
    }

    /**
     * A frozen w in x's type for one product with x (the caller closes it unless it is w). Where nothing records
     * the product for a backward pass (autograd off on this thread: decoding, a recomputed layer's first pass, the
     * main thread's inference; libtorch starts other threads with it on), w is widened into this thread's
     * scratch buffer, reused product after product: a fresh fp32 copy per product cost 65 ms for a 896 × 4864
     * weight here (its pages faulted in anew each time) against 0.6 ms into warm memory. Where autograd keeps the
     * widened weight for the backward pass, it gets a copy of its own.
     */
    public static NDArray wideFor(NDArray x, NDArray w) {
        if (w.getDataType() == x.getDataType()) {
            return w;
        }
        if (Engines.recordingGrad()) { // (x's own gradient flag cannot be read safely here: DJL crashes on arrays without a graph)
            return w.toType(x.getDataType(), false);
        }
        NDArray[] held = SCRATCH.get();
        long n = w.size();
        if (held[0] == null || held[0].size() < n || held[0].getDataType() != x.getDataType()) {
            if (held[0] != null) {
                held[0].close();
            }
            held[0] = ScratchManager.INSTANCE.zeros(new Shape(n), x.getDataType());
            NDScope.unregister(held[0]);
        }
        NDArray view = held[0].get(new NDIndex("0:{}", n)).reshape(w.getShape());
        view.set(new NDIndex("..."), w); // copy_ converts in place
        return view;
    }

    /** Made on first use, once the engine is configured (its threads are set before any array exists). */
    private static final class ScratchManager {
        static final NDManager INSTANCE = NDManager.newBaseManager();
    }

    private static final ThreadLocal<NDArray[]> SCRATCH = ThreadLocal.withInitial(() -> new NDArray[1]);

    /**
     * x · rowsᵀ for 16-bit {@code rows} [V, D] (a decoder's head), 16,384 rows at a time, so that the fp32 copy the
     * product needs is one slice (58 MB for Qwen2.5-0.5B's head), not the whole table (545 MB); rows, not columns,
     * so that each slice is one block of memory.
     */
    public static NDArray frozenMatMulRows(NDArray x, NDArray rows) {
        long n = rows.getShape().get(0);
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        for (long from = 0; from < n; from += ROW_SLICE) {
            try (NDArray slice = rows.get(new NDIndex("{}:{}", from, Math.min(n, from + ROW_SLICE)));
                 NDArray wide = wideFor(x, slice); NDArray t = wide.transpose()) {
                parts.add(x.matMul(t));
            }
        }
        return parts.size() == 1 ? parts.get(0) : ai.djl.ndarray.NDArrays.concat(parts, -1);
    }

    private static final long ROW_SLICE = 16_384;

    /** The type arithmetic on a frozen array runs in: fp32 for a 16-bit one, else its own (fp64 in the gradient tests). */
    public static ai.djl.ndarray.types.DataType computeType(NDArray w) {
        return w.getDataType() == ai.djl.ndarray.types.DataType.FLOAT16 ? ai.djl.ndarray.types.DataType.FLOAT32 : w.getDataType();
    }

    /** w in its {@link #computeType}: itself, or a widened copy (which the caller closes when it is not w). */
    public static NDArray wide(NDArray w) {
        return w.getDataType() == computeType(w) ? w : w.toType(computeType(w), false);
    }

    /** x converted to {@code dt}, x itself closed when a conversion was made (x where it already is dt). */
    public static NDArray convertClosing(NDArray x, ai.djl.ndarray.types.DataType dt) {
        if (x.getDataType() == dt) {
            return x;
        }
        NDArray out = x.toType(dt, false);
        x.close();
        return out;
    }

    /** GELU, tanh form ({@code gelu_pytorch_tanh}, Gemma's): {@code x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))}. */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = mul(x.add(mul(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
        return mul(x, 0.5).mul(add(inner.tanh(), 1));
    }

    /** {@code cap · tanh(x / cap)}: bounds x to (−cap, cap), near identity for small x (Gemma 2's soft caps). */
    public static NDArray softcap(NDArray x, double cap) {
        return mul(div(x, cap).tanh(), cap);
    }

    /** SiLU: {@code x * sigmoid(x)}. */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
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
