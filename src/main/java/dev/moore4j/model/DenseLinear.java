package dev.moore4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A frozen pretrained linear layer {@code y = W x + b}. {@code weightInOut} is Wᵀ, shape [in, out],
 * kept contiguous so a row-major batch multiplies it without a transpose. W may be held in fp16
 * ({@code --weights-dtype fp16}): each product widens it to fp32 first.
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
            return Ops.frozenMatMul(x, weightInOut);
        }
        // one fused op (addmm): the bias is added inside the product instead of in a second pass over y
        NDArray wide = Ops.wideFor(x, weightInOut);
        try (NDArray wt = wide.transpose()) { // a view, [out, in] as linear wants it
            return x.getNDArrayInternal().linear(x, wt, bias).singletonOrThrow();
        } finally {
            if (wide != weightInOut) {
                wide.close();
            }
        }
    }

    /** Whether W is held in fewer than 32 bits. */
    public boolean narrow() {
        return weightInOut.getDataType() == DataType.FLOAT16;
    }

    /** This layer with W in fp32 (itself where it already is); a narrow W is freed. */
    public DenseLinear widened() {
        if (!narrow()) {
            return this;
        }
        return new DenseLinear(Ops.convertClosing(weightInOut, DataType.FLOAT32), bias);
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
