package dev.moore4j.adapter.mtllora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.Param;
import dev.moore4j.adapter.common.FrozenLinearAdapter;
import dev.moore4j.adapter.common.Init;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Ops;

import java.util.List;
import java.util.SplittableRandom;

/**
 * MTL-LoRA: a shared A, a task-specific r×r transform Λ_t (identity at init) and a task-specific mixture
 * of n_B up-projections, {@code B̃_t = Σ_j softmax(w_t/τ)_j B_j}: {@code y = W x + (α/r) B̃_t Λ_t A x}. Each
 * sample uses its own task id; an unknown task (task-free evaluation) uses the mean Λ and mean w.
 */
@Method.Named(value = "mtl-lora", summary = "MTL-LoRA: shared A, per-task transform and mixture of B",
        display = "MTL-LoRA", colour = 0xBCBD22)
public final class MtlLoraMethod extends LinearMethod<MtlLoraMethod.Config> {
    /**
     * @param r           rank (default 8)
     * @param alpha       scale numerator, α/r (default 16)
     * @param bMatrices   n_B, up-projections shared by all tasks (default 3)
     * @param temperature τ of the task's mixture over them (default 0.1)
     * @param dropout     dropout on the adapter's input (default 0.05)
     * @param targets     target patterns (default: all linear layers)
     */
    public record Config(int r, double alpha, int bMatrices, double temperature, double dropout, List<String> targets) implements MethodConfig {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            MethodConfig.checkRank(r);
            if (bMatrices < 1) {
                throw new MooreException("key 'b_matrices' must be at least 1, got " + bMatrices);
            }
            if (!(temperature > 0)) {
                throw new MooreException("key 'temperature' must be positive, got " + temperature);
            }
            MethodConfig.checkDropout("dropout", dropout);
        }
    }

    @Override
    public boolean routesByTask() {
        return true;
    }

    @Override
    public Config defaults() {
        return new Config(8, 16, 3, 0.1, 0.05, List.of());
    }

    @Override
    protected void check(Config c, String slot, int dIn, int dOut, int tasks) {
        checkRank(name(), "r", c.r(), slot, dIn, dOut);
    }

    @Override
    protected long layerCount(Config c, int dIn, int dOut, int tasks) {
        long r = c.r();
        return r * dIn + tasks * r * r + (long) c.bMatrices() * r * dOut + (long) tasks * c.bMatrices();
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        NDManager m = w.weightInOut().getManager();
        DataType dt = w.weightInOut().getDataType();
        int r = c.r();
        Param a = new Param(slot + ".lora_A", Init.create(m, Init.kaimingUniform(new SplittableRandom(ctx.layerSeed(index)), r, w.inFeatures()), dt, r, w.inFeatures()));
        NDArray eye = m.eye(r).toType(dt, false).expandDims(0).repeat(0, ctx.tasks());
        Param lambda = new Param(slot + ".lambda", eye);
        Param b = new Param(slot + ".lora_B", m.zeros(new Shape(c.bMatrices(), r, w.outFeatures()), dt));
        Param mix = new Param(slot + ".b_mix", m.zeros(new Shape(ctx.tasks(), c.bMatrices()), dt));
        return new MtlLoraLinear(slot, w.weightInOut(), w.bias(), a, lambda, b, mix, c);
    }

    static final class MtlLoraLinear extends FrozenLinearAdapter {
        private final Param a;       // A [r, d_in]
        private final Param lambda;  // Λ [T, r, r]
        private final Param b;       // B_j as [n_B, r, d_out] (block j is B_jᵀ)
        private final Param mix;     // w [T, n_B]
        private final Config c;

        MtlLoraLinear(String name, NDArray w, NDArray bias, Param a, Param lambda, Param b, Param mix, Config c) {
            super(name, w, bias);
            this.a = a;
            this.lambda = lambda;
            this.b = b;
            this.mix = mix;
            this.c = c;
        }

        /** Rows of a per-task table for each sample: its own, or the mean over tasks for an unknown/absent task. */
        private static NDArray perSample(NDArray table, int[] ids) {
            int tasks = (int) table.getShape().get(0);
            NDArray extended = table.concat(table.mean(new int[] {0}, true), 0);
            long[] rows = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                rows[i] = ids[i] >= 0 && ids[i] < tasks ? ids[i] : tasks;
            }
            return extended.get(Ops.indices(table.getManager(), rows));
        }

        @Override
        public NDArray forward(NDArray x, ForwardContext ctx) {
            long[] shape = x.getShape().getShape().clone();
            int batch = (int) shape[0];
            int[] ids = ctx.taskIdsFor(batch);
            NDArray lam = perSample(lambda.value(), ids);                                              // [B, r, r]
            NDArray pi = Ops.div(perSample(mix.value(), ids), c.temperature()).softmax(-1);             // [B, n_B]
            NDArray bt = pi.matMul(b.value().reshape(c.bMatrices(), -1)).reshape(batch, c.r(), -1);    // B̃_tᵀ [B, r, d_out]
            NDArray x3 = Ops.dropout(x, c.dropout(), ctx.training()).reshape(batch, -1, shape[shape.length - 1]);
            NDArray z = x3.matMul(a.value().transpose()).matMul(lam.transpose(0, 2, 1));                 // Λ_t A x per token
            long[] outShape = shape.clone();
            outShape[outShape.length - 1] = outFeatures();
            NDArray delta = z.matMul(bt).reshape(new Shape(outShape));
            return withBias(x.matMul(w).add(Ops.mul(delta, c.alpha() / c.r())));
        }

        @Override
        public List<Param> parameters() {
            return List.of(a, lambda, b, mix);
        }

        @Override
        public double trainFlopsPerToken() {
            double r = c.r();
            return 4.0 * inFeatures() * outFeatures() + 6 * (r * inFeatures() + r * r + r * outFeatures());
        }
    }
}
