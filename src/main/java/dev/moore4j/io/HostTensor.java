package dev.moore4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/** A float32 tensor in host memory, row-major, as read from a checkpoint before it becomes an NDArray. */
public record HostTensor(long[] shape, float[] data) {
    public HostTensor {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** Transpose of a matrix (used to turn [out, in] into [in, out] and back). */
    /** Rows {@code [from, from + count)} of a matrix (or elements of a vector), copied. */
    public HostTensor rows(long from, long count) {
        long width = shape.length == 1 ? 1 : shape[1];
        float[] part = java.util.Arrays.copyOfRange(data, (int) (from * width), (int) ((from + count) * width));
        return new HostTensor(shape.length == 1 ? new long[] {count} : new long[] {count, shape[1]}, part);
    }

    public HostTensor transpose2d() {
        if (shape.length != 2) {
            throw new IllegalStateException("transpose2d needs a matrix, got " + Arrays.toString(shape));
        }
        int r = (int) shape[0];
        int c = (int) shape[1];
        float[] t = new float[data.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                t[j * r + i] = data[i * c + j];
            }
        }
        return new HostTensor(new long[] {c, r}, t);
    }

    public NDArray toNd(NDManager manager) {
        return manager.create(data, new Shape(shape));
    }

    public static HostTensor of(NDArray a) {
        return new HostTensor(a.getShape().getShape(), a.toType(DataType.FLOAT32, false).toFloatArray());
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
