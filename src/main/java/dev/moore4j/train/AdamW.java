package dev.moore4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;

import dev.moore4j.adapter.Param;
import dev.moore4j.io.Safetensors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntToDoubleFunction;

/**
 * AdamW (β 0.9/0.999, eps 1e-8, decoupled weight decay) over adapter parameters, using libtorch's
 * fused update. The moment estimates belong to the optimiser, not to the step: they are created
 * outside the per-step {@link NDScope} so closing the step does not free them. Gradients are zeroed
 * after each step because libtorch accumulates them across backward passes.
 */
public final class AdamW implements AutoCloseable {
    private final IntToDoubleFunction learningRate; // of the 1-based step number
    private final float weightDecay;
    private final float beta1 = 0.9f;
    private final float beta2 = 0.999f;
    private final float epsilon = 1e-8f;
    private final Map<String, NDArray[]> moments = new HashMap<>();
    private int step;

    public AdamW(float learningRate, float weightDecay) {
        this(s -> learningRate, weightDecay);
    }

    public AdamW(IntToDoubleFunction learningRate, float weightDecay) {
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
    }

    /** Applies one update from the accumulated gradients, then zeroes them. */
    public void step(List<Param> params) {
        step++;
        float lr = (float) learningRate.applyAsDouble(step);
        float biasCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, step)) / (1 - Math.pow(beta1, step)));
        for (Param p : params) {
            NDArray w = p.value();
            NDArray grad = w.getGradient();
            NDArray[] mv = moments.computeIfAbsent(p.name(), k -> {
                NDArray mean = w.zerosLike();
                NDArray var = w.zerosLike();
                NDScope.unregister(mean, var);
                return new NDArray[] {mean, var};
            });
            w.getNDArrayInternal().adamUpdate(new NDList(w, grad, mv[0], mv[1]), new NDList(w), lr, biasCorrected, weightDecay,
                    1f, -1f, beta1, beta2, epsilon, true, true);
            grad.subi(grad);
        }
    }

    /** Moment estimates under "{param}.exp_avg" and "{param}.exp_avg_sq", for resuming; each copied out as it is written. */
    public Map<String, Safetensors.Source> state() {
        Map<String, Safetensors.Source> out = new TreeMap<>();
        moments.forEach((k, v) -> {
            out.put(k + ".exp_avg", new Safetensors.Source(v[0].getShape().getShape(), () -> floats(v[0])));
            out.put(k + ".exp_avg_sq", new Safetensors.Source(v[1].getShape().getShape(), () -> floats(v[1])));
        });
        return out;
    }

    private static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /** Restores {@link #state()} and the step count of a checkpoint. */
    public void load(List<Param> params, Safetensors.Reader r, int steps) {
        close();
        step = steps;
        for (Param p : params) {
            if (!r.has(p.name() + ".exp_avg")) {
                continue; // not yet updated when the checkpoint was written
            }
            long[] shape = p.value().getShape().getShape();
            NDArray mean = p.value().getManager().create(r.read(p.name() + ".exp_avg", shape).data(), p.value().getShape());
            NDArray var = p.value().getManager().create(r.read(p.name() + ".exp_avg_sq", shape).data(), p.value().getShape());
            NDScope.unregister(mean, var);
            moments.put(p.name(), new NDArray[] {mean, var});
        }
    }

    @Override
    public void close() {
        moments.values().forEach(a -> {
            a[0].close();
            a[1].close();
        });
        moments.clear();
    }
}
