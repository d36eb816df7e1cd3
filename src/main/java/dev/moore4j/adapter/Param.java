package dev.moore4j.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.io.HostTensor;

/**
 * A trainable tensor with its checkpoint name. The value may be replaced (e.g. by a finite-difference
 * probe or a checkpoint load); layers always read {@link #value()} at forward time.
 */
public final class Param {
    private final String name;
    private NDArray value;

    public Param(String name, NDArray value) {
        this.name = name;
        this.value = value;
        value.setRequiresGradient(true);
    }

    public String name() {
        return name;
    }

    public NDArray value() {
        return value;
    }

    /** Replaces the value (the old array is freed) and keeps it trainable. */
    public void set(NDArray replacement) {
        if (!replacement.getShape().equals(value.getShape())) {
            throw new IllegalArgumentException(name + ": shape " + replacement.getShape() + ", expected " + value.getShape());
        }
        NDArray old = value;
        value = replacement;
        value.setRequiresGradient(true);
        old.close();
    }

    /** Replaces the value with a checkpoint tensor, in the current value's type. */
    public void load(HostTensor t) {
        NDArray a = value.getManager().create(t.data(), new Shape(t.shape()));
        set(a.getDataType() == value.getDataType() ? a : a.toType(value.getDataType(), false));
    }

    public long size() {
        return value.size();
    }
}
