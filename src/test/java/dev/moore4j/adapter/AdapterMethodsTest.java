package dev.moore4j.adapter;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.moore4j.TestSupport;
import dev.moore4j.adapter.common.LowRankLinear;
import dev.moore4j.adapter.moore.MooreLinear;
import dev.moore4j.adapter.moore.RoutingStats;
import dev.moore4j.io.Safetensors;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.Probe;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.model.bert.BertBatch;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.load.ModelLoader;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every method through the shared framework, against oracles: the base model at initialisation, the
 * state dict round trip, the merged/folded inference form, mixed-task batches against single-task ones,
 * and autograd against central finite differences (float64, load-balance loss included).
 */
public class AdapterMethodsTest {
    static List<String> methods() {
        return Methods.names();
    }

    static List<String> adapterMethods() {
        return Methods.names().stream().filter(n -> !n.equals("heads")).toList();
    }

    @ParameterizedTest
    @MethodSource("methods")
    void atInitialisationTheAdaptedModelIsTheBase(String method, @TempDir Path cache) {
        // MiniLM's first two blocks (real weights, a padded BERT batch) and stories260K: the claim is the adapter's, not the loader's
        for (String alias : List.of(TestSupport.minilmTwoLayers(), "stories260K")) {
            try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(alias, m)) {
                float[] before = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.inference());
                Adapter a = Adapter.attach(loaded.model(), method, Methods.config(method, Map.of(), "t"), new AdaptContext(3, 1, new FactorCache(cache)));
                float[] after = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 0, 1, 2, 0, 1, 2, 0, 1));
                double diff = Probe.maxRelDiff(after, before);
                if (Methods.get(method).exactAtInit()) {
                    assertThat(diff).as(method + " on " + alias).isLessThanOrEqualTo(1e-4);
                } else { // GOAT: W_res assumes uniform gates, top-k gates are not
                    assertThat(diff).as(method + " on " + alias).isGreaterThan(1e-4).isLessThan(0.2);
                }
                assertThat(a.trainableCount()).isEqualTo(Methods.count(method, loaded.model(), a.config(), 3));
                assertThat(a.parameters().isEmpty()).isEqualTo(method.equals("heads"));
            }
        }
    }

    /** After training-like perturbation: state round trip, fold, and mixed-task batches (stories260K, every method). */
    @ParameterizedTest
    @MethodSource("adapterMethods")
    void stateRoundTripFoldAndMixedBatches(String method, @TempDir Path dir) {
        try (NDManager m = TestSupport.manager()) {
            MethodConfig config = Methods.config(method, Map.of(), "t");
            float[] trained;
            float[] task0;
            float[] task1;
            try (ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
                Adapter a = Adapter.attach(loaded.model(), method, config, new AdaptContext(2, 3, FactorCache.disabled()));
                perturb(a, m, 0.05);
                trained = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 1));
                task0 = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 0));
                task1 = trained;
                Safetensors.write(dir.resolve("a.safetensors"), a.state(), Map.of());
                a.fold();
                float[] folded = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 1));
                assertThat(Probe.maxRelDiff(folded, trained)).as(method + " folded").isLessThanOrEqualTo(1e-4);
            }
            assertThat(TestSupport.maxAbsDiff(task0, task1) > 1e-6).as(method + ": task routing matters").isEqualTo(usesTask(method));
            try (ModelLoader.Loaded fresh = ModelLoader.load("stories260K", m)) {
                Adapter a = Adapter.attach(fresh.model(), method, config, new AdaptContext(2, 3, FactorCache.disabled()));
                float[] init = Probe.outputs(fresh.model(), fresh.tokenizer(), ForwardContext.tasks(false, 1));
                assertThat(TestSupport.maxAbsDiff(init, trained)).isGreaterThan(1e-4);
                a.loadState(Safetensors.open(dir.resolve("a.safetensors")));
                float[] reloaded = Probe.outputs(fresh.model(), fresh.tokenizer(), ForwardContext.tasks(false, 1));
                assertThat(TestSupport.maxAbsDiff(reloaded, trained)).as(method + " reloaded").isLessThan(1e-5);
            }
        }
    }

    static boolean usesTask(String method) {
        return Methods.get(method).routesByTask();
    }

    /** A mixed-task encoder batch equals the same sentences run under each task alone (MiniLM's first two blocks pad a real batch). */
    @ParameterizedTest
    @MethodSource("adapterMethods")
    void mixedTaskBatchEqualsSingleTaskBatches(String method) {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(TestSupport.minilmTwoLayers(), m)) {
            Adapter a = Adapter.attach(loaded.model(), method, Methods.config(method, Map.of(), "t"),
                    new AdaptContext(2, 3, new FactorCache(SharedPaths.cache().resolve("svd"))));
            perturb(a, m, 0.05);
            int n = Probe.SENTENCES.size();
            float[] t0 = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 0));
            float[] t1 = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 1));
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i % 2;
            }
            float[] mix = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, ids));
            int row = mix.length / n;
            double worst = 0;
            for (int i = 0; i < n; i++) {
                float[] ref = i % 2 == 0 ? t0 : t1;
                for (int j = i * row; j < (i + 1) * row; j++) {
                    worst = Math.max(worst, Math.abs(mix[j] - ref[j]));
                }
            }
            assertThat(worst).as(method).isLessThan(2e-4);
        }
    }

    /**
     * What the routing analysis records is the same whether a sentence runs alone or padded in a batch: padding
     * positions are not tokens (MiniLM pads the probe sentences up to the longest).
     */
    @ParameterizedTest
    @ValueSource(strings = {"moore", "mixlora"})
    void routingRecordsCountTokensNotPadding(String method) {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(TestSupport.minilmTwoLayers(), m)) {
            Adapter a = Adapter.attach(loaded.model(), method, Methods.config(method, Map.of(), "t"),
                    new AdaptContext(2, 3, new FactorCache(SharedPaths.cache().resolve("svd"))));
            perturb(a, m, 0.05); // a router that varies with the token
            BertModel bert = (BertModel) loaded.model();
            List<RoutingStats> stats = new ArrayList<>();
            a.modules().stream().filter(x -> x instanceof MooreLinear).forEach(x -> stats.add(((MooreLinear) x).recordRouting()));
            a.takeExpertLoad();
            stats.forEach(x -> x.label("batch"));
            BertBatch padded = BertBatch.of(loaded.tokenizer(), Probe.SENTENCES, null);
            long tokens = Arrays.stream(padded.mask()).flatMapToLong(Arrays::stream).sum();
            assertThat(tokens).as("the batch has padding").isLessThan((long) Probe.SENTENCES.size() * padded.ids()[0].length);
            runEncoder(bert, padded, m);
            Map<String, double[]> batchLoad = a.takeExpertLoad();
            stats.forEach(x -> x.label("alone"));
            for (String sentence : Probe.SENTENCES) {
                runEncoder(bert, BertBatch.of(loaded.tokenizer(), List.of(sentence), null), m);
            }
            Map<String, double[]> aloneLoad = a.takeExpertLoad();
            if (method.equals("moore")) {
                assertThat(stats).hasSize(2 * 6); // two blocks of six linears
                for (RoutingStats x : stats) {
                    Map<String, Double> batch = x.summary("batch");
                    Map<String, Double> alone = x.summary("alone");
                    assertThat(batch.get("tokens")).isEqualTo(alone.get("tokens")).isEqualTo((double) tokens);
                    assertThat(batch.get("w_over_s_std")).as("the router moved").isGreaterThan(1e-3);
                    for (String k : alone.keySet()) {
                        assertThat(batch.get(k)).as(k).isCloseTo(alone.get(k), within(1e-4 * Math.max(1, Math.abs(alone.get(k))))); // fp32 forward
                    }
                }
            } else {
                assertThat(batchLoad).isNotEmpty().containsOnlyKeys(aloneLoad.keySet());
                batchLoad.forEach((layer, load) -> {
                    for (int e = 0; e < load.length; e++) {
                        assertThat(load[e]).as(layer + " expert " + e).isCloseTo(aloneLoad.get(layer)[e], within(1e-4));
                    }
                });
            }
        }
    }

    private static void runEncoder(BertModel bert, BertBatch batch, NDManager m) {
        try (NDScope scope = new NDScope()) {
            NDList in = batch.toNd(m);
            bert.forward(in.get(0), in.get(1), in.get(2), ForwardContext.tasks(false, 1));
        }
    }

    public static void perturb(Adapter a, NDManager m, double scale) {
        Random r = new Random(7);
        for (Param p : a.parameters()) {
            float[] noise = new float[(int) p.size()];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) (r.nextGaussian() * scale);
            }
            NDArray add = m.create(noise, p.value().getShape()).toType(p.value().getDataType(), false);
            p.set(p.value().add(add));
        }
    }

    // ---- gradients: a tiny float64 model with one attention-like linear and one GELU FFN block ----

    /** x → Attn x → FFN(·): enough structure for every method (targets, FFN slot, attn slot). */
    static final class Tiny implements TransformerModel {
        final NDManager m;
        final LinearSlot attn;
        final LinearSlot in;
        final LinearSlot out;
        final FfnSlot ffn;

        Tiny(NDManager m, Random r) {
            this.m = m;
            attn = new LinearSlot("layers.0.attn", dense(m, r, 6, 6, true));
            in = new LinearSlot("layers.0.ffn.in", dense(m, r, 6, 9, true));
            out = new LinearSlot("layers.0.ffn.out", dense(m, r, 9, 6, false));
            ffn = new FfnSlot("layers.0.ffn", FfnSlot.Kind.GELU, List.of(in, out));
        }

        static DenseLinear dense(NDManager m, Random r, int dIn, int dOut, boolean bias) {
            return new DenseLinear(m.create(gauss(r, dIn * dOut, 0.5), new Shape(dIn, dOut)), bias ? m.create(gauss(r, dOut, 0.1), new Shape(dOut)) : null);
        }

        NDArray forward(NDArray x, ForwardContext ctx) {
            return ffn.forward(attn.forward(x, ctx), ctx);
        }

        @Override
        public String family() {
            return "tiny";
        }

        record Shape3(int dIn, int dHidden, int dOut) {}

        @Override
        public Record config() {
            return new Shape3(6, 9, 6);
        }

        @Override
        public int hiddenSize() {
            return 6;
        }

        @Override
        public int attentionHeads() {
            return 1;
        }

        @Override
        public int maxPositions() {
            return 1;
        }

        @Override
        public float[] probeOutputs(dev.moore4j.tokenizer.TextTokenizer tok, ForwardContext ctx) {
            throw new UnsupportedOperationException("the gradient model has no tokenizer");
        }

        @Override
        public List<LinearSlot> linearSlots() {
            return List.of(attn, in, out);
        }

        @Override
        public List<FfnSlot> ffnSlots() {
            return List.of(ffn);
        }

        @Override
        public long parameterCount() {
            return 6 * 6 + 6 * 9 + 9 * 6;
        }

        @Override
        public NDManager manager() {
            return m;
        }

        @Override
        public String weightsHash() {
            return "tiny";
        }

        @Override
        public void close() {}
    }

    static double[] gauss(Random r, int n, double s) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextGaussian() * s;
        }
        return a;
    }

    /** Small settings so every part is exercised: ranks 2, 3 experts, top-2, no dropout (finite differences need a fixed function). */
    public static Map<String, Object> small(String method) {
        Map<String, Object> o = new LinkedHashMap<>();
        var keys = Methods.toJson(Methods.get(method).defaults());
        if (keys.has("r")) {
            o.put("r", method.equals("goat") ? 6 : 2);
        }
        if (keys.has("experts")) {
            o.put("experts", 3);
        }
        if (keys.has("top_k")) {
            o.put("top_k", 2);
        }
        if (keys.has("dropout")) {
            o.put("dropout", 0);
        }
        if (keys.has("a_dropout")) {
            o.put("a_dropout", 0);
        }
        if (keys.has("balance_coef")) {
            o.put("balance_coef", 0.1); // large, so its gradient shows
        }
        if (keys.has("householder")) {
            o.put("householder", 2);
        }
        if (keys.has("task_embedding_dim")) {
            o.put("task_embedding_dim", 3);
            o.put("sample_router_dim", 4);
        }
        return o;
    }

    @ParameterizedTest
    @MethodSource("adapterMethods")
    void gradientsMatchFiniteDifferences(String method) {
        try (NDManager m = TestSupport.manager()) {
            Tiny tiny = new Tiny(m, new Random(1));
            Adapter a = Adapter.attach(tiny, method, Methods.config(method, small(method), "t"), new AdaptContext(3, 2, FactorCache.disabled()));
            for (Param p : a.parameters()) { // move off the zero init (B = 0 hides most gradients)
                p.set(p.value().add(m.create(gauss(new Random(p.name().hashCode()), (int) p.size(), 0.3), p.value().getShape())));
            }
            NDArray x = m.create(gauss(new Random(3), 3 * 4 * 6, 1), new Shape(3, 4, 6));
            NDArray probe = m.create(gauss(new Random(4), 3 * 4 * 6, 1), new Shape(3, 4, 6));
            int[] tasks = {0, 2, 1};
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(tiny, x, probe, tasks));
            }
            Random pick = new Random(5);
            int checked = 0;
            for (Param p : a.parameters()) {
                double[] grad = p.value().getGradient().toDoubleArray();
                for (int t = 0; t < 3; t++) {
                    int i = pick.nextInt((int) p.size());
                    double fd = finiteDifference(tiny, p, i, x, probe, tasks);
                    assertThat(grad[i]).as(method + " " + p.name() + "[" + i + "]").isCloseTo(fd, Offset.offset(1e-5 + 1e-4 * Math.abs(fd)));
                    checked++;
                }
            }
            assertThat(checked).isPositive();
        }
    }

    /** ⟨y, probe⟩ plus the auxiliary (load-balance) losses, in training mode. */
    static NDArray loss(Tiny tiny, NDArray x, NDArray probe, int[] tasks) {
        ForwardContext ctx = ForwardContext.tasks(true, tasks);
        NDArray y = tiny.forward(x, ctx).mul(probe).sum();
        return ctx.aux().addTo(y);
    }

    static double finiteDifference(Tiny tiny, Param p, int i, NDArray x, NDArray probe, int[] tasks) {
        double h = 1e-6;
        double[] base = p.value().toDoubleArray();
        double[] f = new double[2];
        for (int s = 0; s < 2; s++) {
            double[] v = base.clone();
            v[i] += s == 0 ? h : -h;
            p.set(tiny.m.create(v, p.value().getShape()));
            try (NDScope scope = new NDScope()) {
                f[s] = loss(tiny, x, probe, tasks).getDouble();
            }
        }
        p.set(tiny.m.create(base, p.value().getShape()));
        return (f[0] - f[1]) / (2 * h);
    }

    /** The load-balance loss of a padded batch is that of its tokens alone: f and P are means over tokens, not positions. */
    @Test
    void loadBalanceLossLeavesPaddingOut() {
        try (NDManager m = TestSupport.manager()) {
            for (String method : List.of("mixlora", "goat")) {
                Tiny tiny = new Tiny(m, new Random(1));
                Adapter.attach(tiny, method, Methods.config(method, small(method), "t"), new AdaptContext(1, 2, FactorCache.disabled()));
                double[] values = gauss(new Random(3), 2 * 4 * 6, 1);
                int[] lengths = {4, 1}; // the second sequence is one token and three positions of padding
                double[] packed = new double[5 * 6];
                System.arraycopy(values, 0, packed, 0, 4 * 6);
                System.arraycopy(values, 4 * 6, packed, 4 * 6, 6);
                double[] mask = new double[2 * 4];
                for (int b = 0; b < 2; b++) {
                    Arrays.fill(mask, b * 4, b * 4 + lengths[b], 1);
                }
                ForwardContext padded = ForwardContext.tasks(true, 0).withTokenMask(m.create(mask, new Shape(2, 4)));
                tiny.forward(m.create(values, new Shape(2, 4, 6)), padded); // the layers are position-wise: tokens do not mix
                ForwardContext tokens = ForwardContext.tasks(true, 0);
                tiny.forward(m.create(packed, new Shape(1, 5, 6)), tokens);
                ForwardContext unmasked = ForwardContext.tasks(true, 0);
                tiny.forward(m.create(values, new Shape(2, 4, 6)), unmasked);
                NDArray zero = m.zeros(new Shape(), DataType.FLOAT64);
                double want = tokens.aux().addTo(zero).getDouble();
                assertThat(padded.aux().addTo(zero).getDouble()).as(method).isCloseTo(want, within(1e-12));
                assertThat(unmasked.aux().addTo(zero).getDouble()).as(method + ": the padding positions would count").isNotCloseTo(want, within(1e-6));
            }
        }
    }

    @Test
    void loadBalanceLossIsLeftByTopKRoutersWhenTraining() {
        try (NDManager m = TestSupport.manager()) {
            for (String method : List.of("mixlora", "goat")) {
                Tiny tiny = new Tiny(m, new Random(1));
                Adapter.attach(tiny, method, Methods.config(method, small(method), "t"), new AdaptContext(1, 2, FactorCache.disabled()));
                NDArray x = m.create(gauss(new Random(3), 2 * 4 * 6, 1), new Shape(2, 4, 6));
                ForwardContext train = ForwardContext.tasks(true, 0);
                tiny.forward(x, train);
                assertThat(train.aux().size()).as(method).isPositive();
                NDArray zero = m.zeros(new Shape(), DataType.FLOAT64);
                double balance = train.aux().addTo(zero).getDouble();
                assertThat(balance).as(method + ": coef · E · Σ f P ≥ coef").isGreaterThanOrEqualTo(0.1 - 1e-9);
            }
        }
    }

    @Test
    void mixLoraReplacesFfnBlocksAndRoutesEveryTokenToTopK() {
        try (NDManager m = TestSupport.manager()) {
            Tiny tiny = new Tiny(m, new Random(1));
            Adapter a = Adapter.attach(tiny, "mixlora", Methods.config("mixlora", small("mixlora"), "t"), new AdaptContext(1, 2, FactorCache.disabled()));
            assertThat(tiny.ffn.replacement()).isInstanceOf(AdapterModule.class);
            assertThat(tiny.attn.get()).isInstanceOf(LowRankLinear.class);
            assertThat(tiny.in.get()).isInstanceOf(DenseLinear.class); // the block's projections stay frozen inside the experts
            tiny.forward(m.create(gauss(new Random(3), 2 * 5 * 6, 1), new Shape(2, 5, 6)), ForwardContext.inference());
            double[] load = a.takeExpertLoad().get("layers.0.ffn");
            assertThat(load).hasSize(3);
            assertThat(Arrays.stream(load).sum()).isCloseTo(1.0, Offset.offset(1e-9));
        }
    }
    /**
     * OMoE's mixture, computed through the Gram matrix, against Gram–Schmidt done directly on the expert outputs
     * in doubles: random experts, and experts 0 and 1 made identical (r_1 ≈ 0, the cancellation case).
     */
    @Test
    void omoeMixtureEqualsGramSchmidtOnTheOutputs() {
        for (boolean duplicate : new boolean[] {false, true}) {
            try (NDManager m = TestSupport.manager()) {
                Tiny tiny = new Tiny(m, new Random(1));
                DenseLinear base = (DenseLinear) tiny.attn.get();
                Adapter a = Adapter.attach(tiny, "omoe", Methods.config("omoe", small("omoe"), "t"), new AdaptContext(1, 2, FactorCache.disabled()));
                perturb(a, m, 0.5);
                LowRankLinear layer = (LowRankLinear) tiny.attn.get();
                List<Param> ps = layer.parameters(); // A [E·r, d_in], B [E·r, d_out], router [E, d_in]
                int experts = 3, r = 2, topK = 2, dIn = 6, dOut = 6, n = 5;
                double scale = 16.0 / r;
                if (duplicate) {
                    for (int k = 0; k < 2; k++) {
                        double[] v = ps.get(k).value().toDoubleArray();
                        int width = k == 0 ? dIn : dOut;
                        System.arraycopy(v, 0, v, r * width, r * width);
                        ps.get(k).set(m.create(v, ps.get(k).value().getShape()));
                    }
                }
                double[] av = ps.get(0).value().toDoubleArray();
                double[] bv = ps.get(1).value().toDoubleArray();
                double[] wg = ps.get(2).value().toDoubleArray();
                double[] xv = gauss(new Random(5), n * dIn, 1);
                NDArray x = m.create(xv, new Shape(n, dIn));
                double[] got = layer.forward(x, ForwardContext.inference()).sub(base.forward(x, ForwardContext.inference())).toDoubleArray();
                double worst = 0;
                double size = 0;
                for (int t = 0; t < n; t++) {
                    double[][] o = new double[experts][dOut];
                    for (int e = 0; e < experts; e++) {
                        for (int k = 0; k < r; k++) {
                            double z = 0;
                            for (int i = 0; i < dIn; i++) {
                                z += av[(e * r + k) * dIn + i] * xv[t * dIn + i];
                            }
                            for (int j = 0; j < dOut; j++) {
                                o[e][j] += z * bv[(e * r + k) * dOut + j];
                            }
                        }
                    }
                    double[] logits = new double[experts];
                    for (int e = 0; e < experts; e++) {
                        for (int i = 0; i < dIn; i++) {
                            logits[e] += wg[e * dIn + i] * xv[t * dIn + i];
                        }
                    }
                    double[] sorted = logits.clone();
                    Arrays.sort(sorted);
                    double kth = sorted[experts - topK];
                    double[] gate = new double[experts];
                    double total = 0;
                    for (int e = 0; e < experts; e++) {
                        gate[e] = logits[e] >= kth ? Math.exp(logits[e]) : 0;
                        total += gate[e];
                    }
                    double[][] res = new double[experts][];
                    double[] want = new double[dOut];
                    for (int e = 0; e < experts; e++) {
                        res[e] = o[e].clone();
                        for (int j = 0; j < e; j++) {
                            double num = 0;
                            double den = 1e-6;
                            for (int q = 0; q < dOut; q++) {
                                num += o[e][q] * res[j][q];
                                den += res[j][q] * res[j][q];
                            }
                            for (int q = 0; q < dOut; q++) {
                                res[e][q] -= num / den * res[j][q];
                            }
                        }
                        for (int q = 0; q < dOut; q++) {
                            want[q] += scale * gate[e] / total * res[e][q];
                        }
                    }
                    if (duplicate) {
                        double norm = 0;
                        double length = 0;
                        for (int q = 0; q < dOut; q++) {
                            norm += res[1][q] * res[1][q];
                            length += o[1][q] * o[1][q];
                        }
                        // r_1 = ε/(|o|² + ε) o exactly, so |r_1|·|o_1| < ε: the copy of expert 0 is orthogonalised away
                        assertThat(Math.sqrt(norm * length)).isLessThan(1.0001e-6);
                    }
                    for (int q = 0; q < dOut; q++) {
                        worst = Math.max(worst, Math.abs(got[t * dOut + q] - want[q]));
                        size = Math.max(size, Math.abs(want[q]));
                    }
                }
                assertThat(size).as("the update is not zero").isGreaterThan(0.1);
                assertThat(worst).as("duplicate experts: " + duplicate).isLessThan(1e-9 * size);
            }
        }
    }
    /** MixLoRA's sorted dispatch against the definition, every expert run on every token and mixed by the dense gates. */
    @Test
    void mixLoraDispatchEqualsTheDenseDefinition() {
        try (NDManager m = TestSupport.manager()) {
            Tiny tiny = new Tiny(m, new Random(1));
            Map<String, Object> o = small("mixlora");
            o.put("experts", 4);
            Adapter a = Adapter.attach(tiny, "mixlora", Methods.config("mixlora", o, "t"), new AdaptContext(1, 2, FactorCache.disabled()));
            perturb(a, m, 0.5);
            List<Param> ps = ((AdapterModule) tiny.ffn.replacement()).parameters(); // A_in, B_in, A_out, B_out, router
            int experts = 4, r = 2, n = 7;
            double scale = 16.0 / r;
            NDArray x = m.create(gauss(new Random(5), n * 6, 1), new Shape(n, 6));
            double[] got = tiny.ffn.forward(x, ForwardContext.inference()).toDoubleArray();
            double[] logits = x.matMul(ps.get(4).value().transpose()).toDoubleArray();
            NDArray want = null;
            for (int e = 0; e < experts; e++) {
                String rows = e * r + ":" + (e + 1) * r;
                NDArray h = tiny.in.forward(x, ForwardContext.inference())
                        .add(x.matMul(ps.get(0).value().get(rows).transpose()).matMul(ps.get(1).value().get(rows)).mul(scale));
                h = dev.moore4j.model.Ops.gelu(h);
                NDArray y = tiny.out.forward(h, ForwardContext.inference())
                        .add(h.matMul(ps.get(2).value().get(rows).transpose()).matMul(ps.get(3).value().get(rows)).mul(scale));
                double[] g = new double[n];
                for (int t = 0; t < n; t++) {
                    double[] row = Arrays.copyOfRange(logits, t * experts, (t + 1) * experts);
                    double[] sorted = row.clone();
                    Arrays.sort(sorted);
                    double total = 0;
                    for (double l : row) {
                        total += l >= sorted[experts - 2] ? Math.exp(l) : 0;
                    }
                    g[t] = row[e] >= sorted[experts - 2] ? Math.exp(row[e]) / total : 0;
                }
                NDArray term = y.mul(m.create(g, new Shape(n, 1)));
                want = want == null ? term : want.add(term);
            }
            double[] w = want.toDoubleArray();
            double worst = 0;
            for (int i = 0; i < w.length; i++) {
                worst = Math.max(worst, Math.abs(got[i] - w[i]));
            }
            assertThat(worst).isLessThan(1e-12);
        }
    }
}
