package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.Param;
import dev.moore4j.adapter.common.Householder;
import dev.moore4j.adapter.common.Init;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One MoE-ized linear layer: the k rank-one terms u_j v_jᵀ of the frozen weight's SVD are the experts,
 * and a router sets their weights per task and per token:
 * <pre>
 *   g = A_task E_task[t] + G_up (G_down x)        router reads x, not Hx
 *   w = ReLU(s + g)
 *   y = U diag(w) Vᵀ Hᵀ x + b
 * </pre>
 * At initialisation A_task = G_up = 0 and the Householder vectors come in identical pairs (H = I), so
 * y = W x. W itself is not kept. Frozen: U, s, V, b. Trainable: E_task, A_task, G_down, G_up, h.
 */
public final class MooreLinear implements AdapterLayer {
    private final String name;
    private final NDArray v;      // V  [d_in, k]
    private final NDArray s;      // s  [k]
    private final NDArray ut;     // Uᵀ [k, d_out]
    private final NDArray bias;   // [d_out] or null
    private final Param taskEmbedding; // E_task [T, D_t]      (moe_gate.task_embedding)
    private final Param taskLinear;    // A_task [k, D_t]      (moe_gate.task_linear)
    private final Param gateDown;      // G_down [D_s, d_in]   (moe_gate.weight)
    private final Param gateUp;        // G_up   [k, D_s]      (moe_gate.up.weight)
    private final Param householder;   // h_1..h_L as rows [L, d_in] (hra_u_in.{i}); null when L = 0
    private final Householder.Constants wy; // null when L = 0
    private boolean useWy = true;
    private NDArray folded;            // Ṽ = H V, valid while parameters are unchanged
    private RoutingStats routing;      // set by an analysis: inference passes record what the router does

    /**
     * Builds the layer from frozen factors (arrays owned by {@code m}) and initialises the router for
     * {@code tasks} task ids; {@code seed} makes the initialisation reproducible per layer.
     */
    public MooreLinear(String name, NDArray v, NDArray s, NDArray ut, NDArray bias, MooreMethod.Config c, int tasks, long seed, NDManager m) {
        this.name = name;
        this.v = v;
        this.s = s;
        this.ut = ut;
        this.bias = bias;
        int dIn = (int) v.getShape().get(0);
        int k = (int) s.getShape().get(0);
        DataType dt = Ops.computeType(v); // the router's parameters: fp32 where V and Uᵀ are held in 16 bits
        SplittableRandom rnd = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(dIn);
        this.taskEmbedding = new Param(name + ".moe_gate.task_embedding", Init.create(m, Init.gaussian(rnd, tasks * c.taskEmbeddingDim()), dt, tasks, c.taskEmbeddingDim()));
        this.taskLinear = new Param(name + ".moe_gate.task_linear", m.zeros(new Shape(k, c.taskEmbeddingDim()), dt));
        this.gateDown = new Param(name + ".moe_gate.weight", Init.create(m, Init.uniform(rnd, c.sampleRouterDim() * dIn, bound), dt, c.sampleRouterDim(), dIn));
        this.gateUp = new Param(name + ".moe_gate.up.weight", m.zeros(new Shape(k, c.sampleRouterDim()), dt));
        this.householder = c.householder() > 0
                ? new Param(name + ".hra_u_in", Init.create(m, Householder.pairedInit(rnd, c.householder(), dIn), dt, c.householder(), dIn))
                : null;
        this.wy = householder != null ? Householder.Constants.forVectors(householder.value()) : null;
    }

    /** Selects the WY (default) or sequential Householder application; same maths. */
    public void setUseWy(boolean wy) {
        this.useWy = wy;
    }

    @Override
    public String name() {
        return name;
    }

    /** Reference checkpoint name of a parameter: "model." becomes "moore.", other names get "moore." in front. */
    private String checkpointKey(Param p) {
        String prefix = "moore." + (name.startsWith("model.") ? name.substring(6) : name);
        return prefix + p.name().substring(name.length());
    }

    /** The reference's names; the Householder rows are saved as separate vectors {@code hra_u_in.{i}}. */
    @Override
    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Param p : parameters()) {
            HostTensor t = HostTensor.of(p.value());
            if (p == householder) {
                int rows = (int) t.dim(0);
                int cols = (int) t.dim(1);
                for (int i = 0; i < rows; i++) {
                    out.put(checkpointKey(p) + "." + i, new HostTensor(new long[] {cols}, Arrays.copyOfRange(t.data(), i * cols, (i + 1) * cols)));
                }
            } else {
                out.put(checkpointKey(p), t);
            }
        }
        return out;
    }

    @Override
    public void loadState(Safetensors.Reader r) {
        for (Param p : parameters()) {
            long[] shape = p.value().getShape().getShape();
            if (p == householder) {
                float[] data = new float[(int) (shape[0] * shape[1])];
                for (int i = 0; i < shape[0]; i++) {
                    HostTensor row = r.read(checkpointKey(p) + "." + i, shape[1]);
                    System.arraycopy(row.data(), 0, data, (int) (i * shape[1]), (int) shape[1]);
                }
                p.load(new HostTensor(shape, data));
            } else {
                p.load(r.read(checkpointKey(p), shape));
            }
        }
    }

    /**
     * Training FLOPs per token: frozen factors 4·(d_in·k + k·d_out), router 6·(d_in·D_s + D_s·k). The
     * Householder chain is applied to V once per forward (about 12·d_in·k·L per step, not per token) and
     * is left out.
     */
    @Override
    public double trainFlopsPerToken() {
        double in = inFeatures();
        double k = experts();
        double ds = gateDown.value().getShape().get(0);
        return 4 * (in * k + k * outFeatures()) + 6 * (in * ds + ds * k);
    }

    /** x V, the router's pre-activation and ReLU, their product (each [k]) and the sample router's hidden [D_s]. */
    @Override
    public double keptFloatsPerToken() {
        return 4.0 * experts() + gateDown.value().getShape().get(0);
    }

    /** Router output w = ReLU(s + A_task e_t + G_up G_down x): [..., k]. */
    NDArray expertWeights(NDArray x, ForwardContext ctx) {
        int batch = (int) x.getShape().get(0);
        NDArray e = taskRows(ctx.taskIdsFor(batch), x.getManager());                  // [B, D_t]
        NDArray gTask = e.matMul(taskLinear.value().transpose());                        // [B, k]
        long[] bshape = new long[x.getShape().dimension()];
        Arrays.fill(bshape, 1);
        bshape[0] = batch;
        bshape[bshape.length - 1] = gTask.getShape().get(1);
        NDArray gSample = x.matMul(gateDown.value().transpose()).matMul(gateUp.value().transpose());
        NDArray w = Activation.relu(gSample.add(gTask.reshape(bshape)).add(s));
        if (routing != null && !ctx.training()) {
            routing.add(w, gTask, gSample, ctx.tokenMask());
        }
        return w;
    }

    private static float[] host(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Starts recording the router's choices on inference passes into a new {@link RoutingStats}, and returns it. */
    public RoutingStats recordRouting() {
        routing = new RoutingStats(host(s));
        return routing;
    }

    /** Stops recording. */
    public void stopRecording() {
        routing = null;
    }

    /** Task embedding per sample: its own row, the mean row (unknown/absent task) or zeros (no task term). */
    private NDArray taskRows(int[] ids, NDManager m) {
        NDArray table = taskEmbedding.value();
        int tasks = (int) table.getShape().get(0);
        NDArray extended = table.concat(table.mean(new int[] {0}, true), 0)
                .concat(m.zeros(new Shape(1, table.getShape().get(1)), table.getDataType()), 0);
        long[] rows = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            rows[i] = id == ForwardContext.NO_TASK ? tasks + 1 : (id < 0 || id >= tasks) ? tasks : id;
        }
        return extended.get(Ops.indices(m, rows));
    }

    /** x H (rows), i.e. Hᵀx per token. */
    NDArray rotate(NDArray x) {
        if (householder == null) {
            return x;
        }
        return useWy ? Householder.applyWy(x, householder.value(), wy) : Householder.applySequential(x, householder.value());
    }

    @Override
    public NDArray forward(NDArray x, ForwardContext ctx) {
        if (ctx.training() && folded != null) {
            folded.close();
            folded = null;
        }
        NDArray w = expertWeights(x, ctx);
        NDArray z; // Vᵀ Hᵀ x: [..., k]
        if (!ctx.training() && folded != null) {
            z = Ops.frozenMatMul(x, folded);
        } else if (householder != null && useWy) {
            // (x H) V = x (H V): reflect V's d_in × k entries instead of every token's d_in features; the
            // step then keeps no rotated copy of x for the backward pass, and k ≤ d_in rows beat a batch of tokens
            z = x.matMul(reflectedV());
        } else {
            z = Ops.frozenMatMul(rotate(x), v);
        }
        NDArray y = Ops.frozenMatMul(z.mul(w), ut);
        return bias == null ? y : y.add(bias);
    }

    /** Precomputes Ṽ = H V for inference; dropped automatically by the next training forward. */
    @Override
    public void fold() {
        if (folded != null) {
            folded.close();
        }
        folded = householder == null ? v.duplicate() : reflectedV().stopGradient().toType(v.getDataType(), false); // as narrow as V
        folded.attach(v.getManager());
        NDScope.unregister(folded);
    }

    /** H V, V widened to fp32 for the product where it is held in 16 bits. */
    private NDArray reflectedV() {
        NDArray wide = Ops.wide(v);
        try {
            return Householder.leftMultiply(wide, householder.value(), wy);
        } finally {
            if (wide != v) {
                wide.close();
            }
        }
    }

    @Override
    public List<Param> parameters() {
        List<Param> ps = new ArrayList<>(List.of(taskEmbedding, taskLinear, gateDown, gateUp));
        if (householder != null) {
            ps.add(householder);
        }
        return ps;
    }

    public NDArray u() {
        return ut.transpose();
    }

    public NDArray v() {
        return v;
    }

    public Param householder() {
        return householder;
    }

    @Override
    public int inFeatures() {
        return (int) v.getShape().get(0);
    }

    @Override
    public int outFeatures() {
        return (int) ut.getShape().get(1);
    }

    public int experts() {
        return (int) s.getShape().get(0);
    }

    @Override
    public void close() {
        v.close();
        s.close();
        ut.close();
        if (bias != null) {
            bias.close();
        }
        parameters().forEach(p -> p.value().close());
        if (folded != null) {
            folded.close();
        }
        if (wy != null) {
            wy.close();
        }
    }
}
