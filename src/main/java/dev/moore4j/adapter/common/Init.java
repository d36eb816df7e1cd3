package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.SplittableRandom;

/** Seeded initialisers drawn in Java (reproducible across thread counts and engines). */
public final class Init {
    private Init() {}

    /** N(0, 1) values (Box–Muller). */
    public static double[] gaussian(SplittableRandom r, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1 - r.nextDouble();
            double u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1));
            out[i] = rad * Math.cos(2 * Math.PI * u2);
            if (i + 1 < n) {
                out[i + 1] = rad * Math.sin(2 * Math.PI * u2);
            }
        }
        return out;
    }

    /** Uniform on (−bound, bound). */
    public static double[] uniform(SplittableRandom r, int n, double bound) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (r.nextDouble() * 2 - 1) * bound;
        }
        return out;
    }

    /** PyTorch's default for linear weights (kaiming-uniform, a = √5): uniform ±1/√fan_in. */
    public static double[] kaimingUniform(SplittableRandom r, int rows, int fanIn) {
        return uniform(r, rows * fanIn, 1.0 / Math.sqrt(fanIn));
    }

    public static NDArray create(NDManager m, double[] values, DataType dt, long... shape) {
        NDArray a = m.create(values, new Shape(shape));
        if (dt == DataType.FLOAT64) {
            return a;
        }
        NDArray cast = a.toType(dt, true);
        a.close();
        return cast;
    }

    public static NDArray create(NDManager m, float[] values, DataType dt, long... shape) {
        NDArray a = m.create(values, new Shape(shape));
        if (dt == DataType.FLOAT32) {
            return a;
        }
        NDArray cast = a.toType(dt, true);
        a.close();
        return cast;
    }
}
