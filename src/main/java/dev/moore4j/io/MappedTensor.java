package dev.moore4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * A checkpoint tensor's bytes mapped from its file (little-endian F32 or F16), turned into a native array without
 * passing through the Java heap: libtorch first views the mapping (DJL hands a direct buffer to {@code from_blob}),
 * then copies it into memory of its own (contiguous, [in, out] for a linear weight), and the mapping is released at
 * once. A load therefore holds the model plus one tensor's pages, and a 545 MB embedding loads under a 384 MB heap.
 * The copy, not the mapping, is kept: the file may change or go while the model lives, and nothing may write into
 * the read-only mapping.
 */
public record MappedTensor(long[] shape, DataType dtype, MappedByteBuffer bytes) {
    /** The bytes as stored, for hashing (a read-only view: the hash reads the file's own bytes, not a copy). */
    public ByteBuffer view() {
        return bytes.asReadOnlyBuffer();
    }

    /** Rows {@code [from, from + count)} of a matrix, as a view of the same mapping (fused projections stored as one tensor). */
    public MappedTensor rows(long from, long count) {
        long width = shape.length == 1 ? 1 : shape[1];
        long rowBytes = width * dtype.getNumOfBytes();
        MappedByteBuffer part = bytes.slice((int) (from * rowBytes), (int) (count * rowBytes));
        part.order(java.nio.ByteOrder.LITTLE_ENDIAN);
        return new MappedTensor(shape.length == 1 ? new long[] {count} : new long[] {count, width}, dtype, part);
    }

    /** A native fp32 copy, as stored ({@code transpose}: a matrix [r, c] comes out [c, r], contiguous). */
    public NDArray toNd(NDManager m, boolean transpose) {
        return toNd(m, transpose, DataType.FLOAT32);
    }

    /** A native copy of type {@code target} (fp32 or fp16), the stored values converted where the types differ. */
    public NDArray toNd(NDManager m, boolean transpose, DataType target) {
        try (NDArray alias = m.create(bytes, new Shape(shape), dtype)) {
            // narrowing (fp32 stored, fp16 wanted) converts first, so no copy is wider than the result; widening converts last
            boolean narrowing = target.getNumOfBytes() < dtype.getNumOfBytes();
            NDArray src = narrowing ? alias.toType(target, false) : alias;
            NDArray copy;
            if (transpose) { // flatten copies a transposed view into contiguous memory
                try (NDArray t = src.transpose()) {
                    copy = t.flatten().reshape(new Shape(shape[1], shape[0]));
                }
                if (src != alias) {
                    src.close();
                }
            } else {
                copy = src != alias ? src : alias.duplicate();
            }
            if (!narrowing && dtype != target) {
                NDArray f = copy.toType(target, false);
                copy.close();
                copy = f;
            }
            return copy;
        } finally {
            unmap(bytes);
        }
    }

    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method clean = null;
        Object unsafe = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            clean = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no unmapping: the garbage collector releases mappings later
        }
        INVOKE_CLEANER = clean;
        UNSAFE = unsafe;
    }

    /** Releases a mapping now (its pages leave the process), where the JDK allows; else at garbage collection. */
    static void unmap(MappedByteBuffer b) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, b);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the garbage collector
        }
    }
}
