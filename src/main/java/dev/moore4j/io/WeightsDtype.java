package dev.moore4j.io;

import ai.djl.ndarray.types.DataType;

import dev.moore4j.MooreException;

import java.util.Locale;

/**
 * How a model's frozen weights are held: the linear layers' weights and the token embeddings (norms, biases,
 * everything trainable, and all arithmetic stay fp32). FP16 halves what the frozen weights take; each matrix product
 * widens its weight to fp32 first, since libtorch's fp16 matmul on this CPU runs at 2.2 GFLOP/s against 309 for the
 * widened product.
 */
public enum WeightsDtype {
    FP32, FP16, BF16;

    /** {@code fp32}, {@code fp16} or {@code bf16}, as flags and configs spell it. */
    public static WeightsDtype parse(String s) {
        for (WeightsDtype d : values()) {
            if (d.label().equalsIgnoreCase(s.strip())) {
                return d;
            }
        }
        throw new MooreException("weights dtype '" + s + "': expected fp32, fp16 or bf16");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The storage type of frozen weights; bf16 is refused here, before any weight is read. */
    public DataType storage() {
        return switch (this) {
            case FP32 -> DataType.FLOAT32;
            case FP16 -> DataType.FLOAT16;
            case BF16 -> throw new MooreException("--weights-dtype bf16: DJL 0.36's PyTorch engine has no bfloat16 type (casting to it aborts "
                    + "the JVM); use fp16 (16-bit storage, fp32 arithmetic) or fp32");
        };
    }

    /** Bytes per frozen weight value. */
    public int bytes() {
        return this == FP32 ? 4 : 2;
    }

    @Override
    public String toString() {
        return label();
    }
}
