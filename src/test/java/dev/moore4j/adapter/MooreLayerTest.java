package dev.moore4j.adapter;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.adapter.common.Householder;
import dev.moore4j.adapter.moore.MooreLinear;
import dev.moore4j.adapter.moore.MooreMethod;
import dev.moore4j.model.ForwardContext;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One MoORE layer in float64 on a random weight: the identities and invariants of METHODS.md §1. */
class MooreLayerTest {
    static final int D_OUT = 12;
    static final int D_IN = 10;
    static final int TASKS = 3;

    NDManager m;
    double[] w;     // W, [D_OUT, D_IN] row-major
    double[] bias;
    MooreLinear layer;
    Random rnd = new Random(5);

    @BeforeEach
    void setUp() {
        m = TestSupport.manager();
        w = gaussian(D_OUT * D_IN, 1);
        bias = gaussian(D_OUT, 1);
        double[] wt = new double[w.length]; // Wᵀ [D_IN, D_OUT]
        for (int i = 0; i < D_OUT; i++) {
            for (int j = 0; j < D_IN; j++) {
                wt[j * D_OUT + i] = w[i * D_IN + j];
            }
        }
        double[][] f = thin64(wt, D_IN, D_OUT);
        int k = Math.min(D_IN, D_OUT);
        MooreMethod.Config c = new MooreMethod.Config(4, 5, 4, List.of(), true);
        layer = new MooreLinear("layer", m.create(f[0], new Shape(D_IN, k)), m.create(f[1], new Shape(k)), m.create(f[2], new Shape(k, D_OUT)),
                m.create(bias, new Shape(D_OUT)), c, TASKS, 11, m);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    double[] gaussian(int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextGaussian() * scale;
        }
        return a;
    }

    NDArray input(int batch, int seq) {
        return m.create(gaussian(batch * seq * D_IN, 1), new Shape(batch, seq, D_IN));
    }

    void perturbAll() {
        for (Param p : layer.parameters()) {
            double[] v = p.value().toDoubleArray();
            double[] d = gaussian(v.length, 0.3);
            for (int i = 0; i < v.length; i++) {
                v[i] += d[i];
            }
            p.set(m.create(v, p.value().getShape()));
        }
    }

    double[] forward(NDArray x, ForwardContext ctx) {
        try (NDScope s = new NDScope()) {
            return layer.forward(x, ctx).toDoubleArray();
        }
    }

    @Test
    void atInitialisationTheLayerIsTheDenseLayer() {
        NDArray x = input(2, 3);
        double[] y = forward(x, ForwardContext.tasks(false, 0, 2));
        double[] xs = x.toDoubleArray();
        double maxDiff = 0;
        for (int t = 0; t < 6; t++) {
            for (int i = 0; i < D_OUT; i++) {
                double ref = bias[i];
                for (int j = 0; j < D_IN; j++) {
                    ref += w[i * D_IN + j] * xs[t * D_IN + j];
                }
                maxDiff = Math.max(maxDiff, Math.abs(ref - y[t * D_OUT + i]));
            }
        }
        assertThat(maxDiff).isLessThan(1e-10);
    }

    @Test
    void householderChainStaysOrthogonalAndOutputStaysInRangeOfU() {
        perturbAll();
        // H as rows: I·H
        NDArray eye = m.eye(D_IN, D_IN, 0, DataType.FLOAT64).reshape(1, D_IN, D_IN);
        NDArray rotatedEye = layer.forward(eye, ForwardContext.tasks(false, 0)); // touches nothing, warms the path
        assertThat(rotatedEye.getShape()).isEqualTo(new Shape(1, D_IN, D_OUT));
        NDArray h = Householder.applyWy(m.eye(D_IN, D_IN, 0, DataType.FLOAT64), layer.householder().value());
        NDArray hth = h.transpose().matMul(h).sub(m.eye(D_IN, D_IN, 0, DataType.FLOAT64)).abs();
        assertThat(hth.max().getDouble()).isLessThanOrEqualTo(1e-5);
        assertThat(h.sub(m.eye(D_IN, D_IN, 0, DataType.FLOAT64)).abs().max().getDouble()).as("H moved away from I").isGreaterThan(1e-3);

        NDArray y = layer.forward(input(3, 4), ForwardContext.tasks(false, 0, 1, 2)).sub(m.create(bias, new Shape(D_OUT)));
        NDArray u = layer.u();
        NDArray proj = y.matMul(u).matMul(u.transpose());
        double residual = y.sub(proj).norm().getDouble() / y.norm().getDouble();
        assertThat(residual).isLessThanOrEqualTo(1e-5);

        // experts u_j v_jᵀ Hᵀ stay mutually orthogonal: (VᵀHᵀ)(VᵀHᵀ)ᵀ = I
        NDArray vtHt = layer.v().transpose().matMul(h.transpose());
        NDArray gram = vtHt.matMul(vtHt.transpose()).sub(m.eye(D_IN, D_IN, 0, DataType.FLOAT64)).abs();
        assertThat(gram.max().getDouble()).isLessThan(1e-9);
    }

    @Test
    void wySequentialAndFoldedFormsAgree() {
        perturbAll();
        NDArray x = input(2, 5);
        ForwardContext ctx = ForwardContext.tasks(false, 1, ForwardContext.MEAN_TASK);
        double[] wy = forward(x, ctx);
        layer.setUseWy(false);
        double[] seq = forward(x, ctx);
        layer.setUseWy(true);
        layer.fold();
        double[] folded = forward(x, ctx);
        for (int i = 0; i < wy.length; i++) {
            assertThat(seq[i]).isCloseTo(wy[i], Offset.offset(1e-10));
            assertThat(folded[i]).isCloseTo(wy[i], Offset.offset(1e-10));
        }
    }

    @Test
    void mixedTaskBatchEqualsSeparateSingleTaskForwards() {
        perturbAll();
        NDArray x = input(3, 4);
        double[] mixed = forward(x, ForwardContext.tasks(false, 2, 0, 1));
        int[] ids = {2, 0, 1};
        int per = 4 * D_OUT;
        for (int b = 0; b < 3; b++) {
            double[] single = forward(x.get(b + ":" + (b + 1)), ForwardContext.tasks(false, ids[b]));
            for (int i = 0; i < per; i++) {
                assertThat(single[i]).isCloseTo(mixed[b * per + i], Offset.offset(1e-12));
            }
        }
        // the three tasks really route differently
        double[] asTask0 = forward(x, ForwardContext.tasks(false, 0, 0, 0));
        assertThat(asTask0[0]).isNotCloseTo(mixed[0], Offset.offset(1e-6));
    }

    @Test
    void unknownTaskUsesTheMeanEmbeddingAndNoTaskDropsTheTerm() {
        perturbAll();
        NDArray x = input(1, 3);
        double[] mean = forward(x, ForwardContext.tasks(false, ForwardContext.MEAN_TASK));
        double[] unknown = forward(x, ForwardContext.tasks(false, 99));
        double[] absent = forward(x, ForwardContext.inference());
        double[] none = forward(x, ForwardContext.tasks(false, ForwardContext.NO_TASK));
        assertThat(unknown).containsExactly(mean, Offset.offset(1e-12));
        assertThat(absent).containsExactly(mean, Offset.offset(1e-12));
        assertThat(Math.abs(none[0] - mean[0])).isGreaterThan(1e-6);
    }

    /** Central differences in float64 against autograd, for every entry of every trainable tensor. */
    @Test
    void finiteDifferenceGradientCheck() {
        perturbAll();
        NDArray x = input(4, 3);
        NDArray r = m.create(gaussian(4 * 3 * D_OUT, 1), new Shape(4, 3, D_OUT));
        ForwardContext ctx = ForwardContext.tasks(true, 0, 1, 2, ForwardContext.MEAN_TASK);
        for (Param p : layer.parameters()) {
            p.value().setRequiresGradient(true);
        }
        double[][] grads = new double[layer.parameters().size()][];
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(layer.forward(x, ctx).mul(r).sum());
        }
        for (int i = 0; i < grads.length; i++) {
            grads[i] = layer.parameters().get(i).value().getGradient().toDoubleArray();
        }
        double eps = 1e-6;
        int checked = 0;
        for (int pi = 0; pi < grads.length; pi++) {
            Param p = layer.parameters().get(pi);
            double[] base = p.value().toDoubleArray();
            Shape shape = p.value().getShape();
            for (int i = 0; i < base.length; i++) {
                double[] plus = base.clone();
                plus[i] += eps;
                p.set(m.create(plus, shape));
                double lp = loss(x, r, ctx);
                double[] minus = base.clone();
                minus[i] -= eps;
                p.set(m.create(minus, shape));
                double lm = loss(x, r, ctx);
                double fd = (lp - lm) / (2 * eps);
                assertThat(grads[pi][i]).as(p.name() + "[" + i + "]").isCloseTo(fd, Offset.offset(1e-6 * Math.max(1, Math.abs(fd))));
                checked++;
            }
            p.set(m.create(base, shape));
        }
        assertThat(checked).isGreaterThan(150);
    }

    private double loss(NDArray x, NDArray r, ForwardContext ctx) {
        try (NDScope s = new NDScope()) {
            return layer.forward(x, ctx).mul(r).sum().getDouble();
        }
    }

    @Test
    void oddNumberOfHouseholderVectorsIsRejected() {
        assertThatThrownBy(() -> new MooreMethod.Config(64, 128, 3, List.of(), false))
                .isInstanceOf(MooreException.class)
                .hasMessageContaining("householder")
                .hasMessageContaining("even");
    }

    /** Double-precision SVD through LAPACK's dgesdd: the float64 reference's factors. */
    static double[][] thin64(double[] a, int m, int n) {
        int k = Math.min(m, n);
        double[] p = new double[m * k];
        double[] s = new double[k];
        double[] qt = new double[k * n];
        int info = org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd(org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR, (byte) 'S', m, n,
                a.clone(), n, s, p, k, qt, n);
        if (info != 0) {
            throw new IllegalStateException("dgesdd info=" + info);
        }
        return new double[][] {p, s, qt};
    }
}
