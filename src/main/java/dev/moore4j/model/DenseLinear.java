package dev.moore4j.model;

import ai.djl.ndarray.NDArray;

/**
 * A frozen pretrained linear layer {@code y = W x + b}. {@code weightInOut} is Wᵀ, shape [in, out],
 * kept contiguous so a row-major batch multiplies it without a transpose.
 */
public final class DenseLinear implements Linear {
    private final NDArray weightInOut;
    private final NDArray bias; // [out] or null

    public DenseLinear(NDArray weightInOut, NDArray bias) {
        if (weightInOut.getShape().dimension() != 2) {
            throw new IllegalArgumentException("weight must be [in, out], got " + weightInOut.getShape());
        }
        if (bias != null && bias.getShape().get(0) != weightInOut.getShape().get(1)) {
            throw new IllegalArgumentException("bias " + bias.getShape() + " does not match weight " + weightInOut.getShape());
        }
        this.weightInOut = weightInOut;
        this.bias = bias;
    }

    @Override
    public NDArray forward(NDArray x, ForwardContext ctx) {
        if (bias == null) {
            return x.matMul(weightInOut);
        }
        // one fused op (addmm): the bias is added inside the product instead of in a second pass over y
        try (NDArray wt = weightInOut.transpose()) { // a view, [out, in] as linear wants it
            return x.getNDArrayInternal().linear(x, wt, bias).singletonOrThrow();
        }
    }

    /** Wᵀ as [in, out]. */
    public NDArray weightInOut() {
        return weightInOut;
    }

    public NDArray bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return (int) weightInOut.getShape().get(0);
    }

    @Override
    public int outFeatures() {
        return (int) weightInOut.getShape().get(1);
    }

    /** Frees W only; the bias may be shared with an adapter that replaces this layer. */
    public void closeWeight() {
        weightInOut.close();
    }

    @Override
    public void close() {
        weightInOut.close();
        if (bias != null) {
            bias.close();
        }
    }
}
