package dev.moore4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.moore4j.TestSupport;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.AdapterMethodsTest;
import dev.moore4j.adapter.Methods;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.llama.KvCache;
import dev.moore4j.model.llama.LlamaConfig;
import dev.moore4j.model.llama.LlamaFamily;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.model.load.HfCheckpoint;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tiny random checkpoints of each Llama-layout family (Qwen2: q/k/v biases, grouped-query attention, untied head;
 * Qwen3: q/k RMSNorm per head and a head width other than hidden/heads; Mistral: a sliding window shorter than the
 * sequence; Llama 3.1: llama3 rope scaling; Phi-3: the window, with q/k/v and gate/up stored fused; Gemma 2 and 3:
 * 1 + w norms, √D embeddings, norms after each sublayer, GELU-tanh gate, query_pre_attn_scalar, soft caps, local and
 * global layers, Gemma 3's local rotary base and linear scaling), written as HF safetensors, loaded through the HF
 * path, against a naive scalar forward written here from each family's published definition.
 */
class LlamaReferenceTest {
    static final LlamaConfig QWEN2 = new LlamaConfig(20, 16, 24, 2, 4, 2, 32, 1e-6f, 10000f, false, true, "Qwen2ForCausalLM");
    static final LlamaConfig QWEN3 = new LlamaConfig(20, 16, 24, 2, 4, 2, 32, 1e-6f, 10000f, true, false, "Qwen3ForCausalLM", 6, true, 0, null, null);
    static final LlamaConfig MISTRAL = new LlamaConfig(20, 16, 24, 2, 4, 2, 32, 1e-5f, 10000f, false, false, "MistralForCausalLM", 0, false, 3, null,
            null);
    static final LlamaConfig LLAMA3 = new LlamaConfig(20, 16, 24, 2, 4, 2, 32, 1e-5f, 500000f, false, false, "LlamaForCausalLM", 0, false, 0,
            new LlamaConfig.Llama3Scaling(8, 1, 4, 8), null);
    /** Phi-3: Mistral's window, q/k/v and gate/up stored fused. */
    static final LlamaConfig PHI3 = new LlamaConfig(20, 16, 24, 2, 4, 2, 32, 1e-5f, 10000f, false, false, "Phi3ForCausalLM", 0, false, 3, null, null);
    /** Gemma 2: local, global, local; heads wider than hidden/heads; soft caps small enough to bite on random weights. */
    static final LlamaConfig GEMMA2 = new LlamaConfig(20, 16, 24, 3, 4, 2, 32, 1e-6f, 10000f, true, false, "Gemma2ForCausalLM", 8, false, 3, null,
            new LlamaConfig.Gemma(12f, 2f, 3f, 2, 0f));
    /** Gemma 3: two local layers (their own rotary base) then a global one (linear rope scaling), q/k norms, no caps. */
    static final LlamaConfig GEMMA3 = new LlamaConfig(20, 16, 24, 3, 4, 2, 32, 1e-6f, 1e6f, true, false, "Gemma3ForCausalLM", 8, true, 3,
            new LlamaConfig.LinearScaling(4), new LlamaConfig.Gemma(8f, 0f, 0f, 3, 10000f));
    LlamaConfig C;
    final Random rnd = new Random(3);
    final Map<String, HostTensor> w = new LinkedHashMap<>();

    HostTensor rand(String name, long... shape) {
        float[] d = new float[(int) HostTensor.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * 0.3);
        }
        HostTensor t = new HostTensor(shape, d);
        w.put(name, t);
        return t;
    }

    static Stream<LlamaConfig> families() {
        return Stream.of(QWEN2, QWEN3, MISTRAL, LLAMA3, PHI3, GEMMA2, GEMMA3);
    }

    /** Random weights of {@link #C}, written as an HF checkpoint with stories260K's tokenizer. */
    void writeCheckpoint(Path dir) throws Exception {
        Files.createDirectories(dir);
        int d = C.hiddenSize();
        int qd = C.numAttentionHeads() * C.headDim();
        int kv = C.numKeyValueHeads() * C.headDim();
        rand("model.embed_tokens.weight", C.vocabSize(), d);
        for (int l = 0; l < C.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            rand(p + "input_layernorm.weight", d);
            rand(p + "self_attn.q_proj.weight", qd, d);
            rand(p + "self_attn.k_proj.weight", kv, d);
            rand(p + "self_attn.v_proj.weight", kv, d);
            if (C.qkvBias()) {
                rand(p + "self_attn.q_proj.bias", qd);
                rand(p + "self_attn.k_proj.bias", kv);
                rand(p + "self_attn.v_proj.bias", kv);
            }
            if (C.qkNorm()) {
                rand(p + "self_attn.q_norm.weight", C.headDim());
                rand(p + "self_attn.k_norm.weight", C.headDim());
            }
            rand(p + "self_attn.o_proj.weight", d, qd);
            rand(p + "post_attention_layernorm.weight", d);
            if (C.gemma() != null) {
                rand(p + "pre_feedforward_layernorm.weight", d);
                rand(p + "post_feedforward_layernorm.weight", d);
            }
            rand(p + "mlp.gate_proj.weight", C.intermediateSize(), d);
            rand(p + "mlp.up_proj.weight", C.intermediateSize(), d);
            rand(p + "mlp.down_proj.weight", d, C.intermediateSize());
        }
        rand("model.norm.weight", d);
        if (!C.tieWordEmbeddings()) {
            rand("lm_head.weight", C.vocabSize(), d);
        }
        HfCheckpoint.writeLlama(dir, C, w);
        Files.copy(SharedPaths.models().resolve("stories260K/tok512.bin"), dir.resolve("tokenizer.bin"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void hfCheckpointMatchesNaiveReference(LlamaConfig c, @TempDir Path dir) throws Exception {
        C = c;
        writeCheckpoint(dir);
        assertThat(Files.readString(dir.resolve("config.json"))).contains(C.architecture());
        if (LlamaFamily.of(C).fused()) { // the file holds Phi-3's fused tensors, which the loader splits again
            var names = dev.moore4j.io.Safetensors.open(dir.resolve("model.safetensors")).entries().keySet();
            assertThat(names).contains("model.layers.0.self_attn.qkv_proj.weight", "model.layers.1.mlp.gate_up_proj.weight")
                    .doesNotContain("model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight");
        }

        long[] ids = {3, 7, 1, 19, 0, 12};
        float[][] ref = naive(ids);
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(dir.toString(), m)) {
            LlamaModel model = (LlamaModel) loaded.model();
            assertThat(model.config()).as("config.json reads back as written").isEqualTo(C);
            float[] ours = model.forward(m.create(ids, new Shape(1, ids.length)), null, ForwardContext.inference()).toFloatArray();
            assertThat(maxDiff(ours, ref)).isLessThan(1e-4);
            System.err.printf("%s: max |logit - naive| %.2e%n", C.architecture(), maxDiff(ours, ref));
            // decoding token by token through the KV cache (the window and rotation placed by position) gives the same logits
            float[] stepwise = new float[ours.length];
            try (KvCache cache = new KvCache(C.numHiddenLayers())) {
                for (int t = 0; t < ids.length; t++) {
                    float[] one = model.forward(m.create(new long[] {ids[t]}, new Shape(1, 1)), cache, ForwardContext.inference()).toFloatArray();
                    System.arraycopy(one, 0, stepwise, t * C.vocabSize(), C.vocabSize());
                }
            }
            assertThat(maxDiff(stepwise, ref)).isLessThan(1e-4);
            // greedy generation through the KV cache picks the reference's argmax at each step
            long[] seq = ids.clone();
            java.util.List<Long> generated = new java.util.ArrayList<>();
            model.generate(loaded.tokenizer(), ids, new DecoderModel.Sampling(3, 0f, 1f, 0), ForwardContext.inference(),
                    (token, piece, logprob) -> generated.add(token));
            for (long token : generated) {
                float[][] r = naive(seq);
                assertThat(token).isEqualTo(argmax(r[r.length - 1]));
                seq = cat(seq, token);
            }
            assertThat(generated).hasSize(3);
            // rows of different lengths decoded as one batch, joining and leaving, each get the logits they get alone
            batchMatchesAlone(model, m);
            // MoE-ized with MoORE on every linear layer, it computes the same at initialisation
            Adapter.attach(model, "moore", Methods.config("moore", Map.of(), "test"), new AdaptContext(2, 42, FactorCache.disabled()));
            float[] adapted = model.forward(m.create(ids, new Shape(1, ids.length)), null, ForwardContext.tasks(false, 1)).toFloatArray();
            assertThat(maxDiff(adapted, ref)).isLessThan(1e-4);
        }
    }

    static long argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best;
    }

    /**
     * Every method attaches to the family, gets finite gradients that are not all zero from a training-mode pass routed
     * by task, and where the method merges, the merged export loads back to the adapted model's logits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyMethodTrainsAndMergedExportReloads(LlamaConfig c, @TempDir Path dir) throws Exception {
        C = c;
        writeCheckpoint(dir.resolve("base"));
        long[] ids = {3, 7, 1, 19, 0, 12, 5, 2};
        for (String method : Methods.names()) {
            if (method.equals("heads")) { // task heads only: nothing in the decoder to train
                continue;
            }
            try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(dir.resolve("base").toString(), m)) {
                LlamaModel model = (LlamaModel) loaded.model();
                Adapter a = Adapter.attach(model, method, Methods.config(method, AdapterMethodsTest.small(method), "t"),
                        new AdaptContext(2, 1, FactorCache.disabled()));
                NDArray x = m.create(ids, new Shape(2, 4));
                trainsAStep(method, a, model, m, x);
                if (Methods.get(method).merges()) {
                    float[] adapted = model.forward(x, null, ForwardContext.inference()).toFloatArray();
                    HfCheckpoint.write(dir.resolve(method), model);
                    Files.copy(dir.resolve("base/tokenizer.bin"), dir.resolve(method).resolve("tokenizer.bin"));
                    try (ModelLoader.Loaded merged = ModelLoader.load(dir.resolve(method).toString(), m)) {
                        float[] back = ((LlamaModel) merged.model()).forward(x, null, ForwardContext.inference()).toFloatArray();
                        assertThat(back).as(method + " merged export").containsExactly(adapted, within(1e-4f));
                    }
                }
            }
        }
    }

    /**
     * Moves the adapter off its initial values (where B = 0 hides most gradients), runs a training-mode pass routed by
     * tasks 0 and 1, and checks that every gradient is finite and not all are zero.
     */
    static void trainsAStep(String method, Adapter a, LlamaModel model, NDManager m, NDArray x) {
        AdapterMethodsTest.perturb(a, m, 0.05);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ForwardContext ctx = ForwardContext.tasks(true, 0, 1);
            NDArray logits = model.forward(x, null, ctx);
            gc.backward(ctx.aux().addTo(logits.mul(m.randomNormal(logits.getShape())).sum()));
        } catch (RuntimeException e) {
            throw new AssertionError(method + ": " + e.getMessage(), e);
        }
        double total = 0;
        for (dev.moore4j.adapter.Param p : a.parameters()) {
            for (float g : p.value().getGradient().toFloatArray()) {
                assertThat(Float.isFinite(g)).as(method + " " + p.name()).isTrue();
                total += Math.abs(g);
            }
        }
        assertThat(total).as(method + ": some gradient").isPositive();
    }

    /** The last position's logits of a sequence run alone, in one causal pass. */
    static float[] alone(LlamaModel model, NDManager m, long... seq) {
        float[] all = model.forward(m.create(seq, new Shape(1, seq.length)), null, ForwardContext.inference()).toFloatArray();
        return java.util.Arrays.copyOfRange(all, all.length - model.config().vocabSize(), all.length);
    }

    static long[] cat(long[] a, long... b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static void batchMatchesAlone(LlamaModel model, NDManager m) {
        long[] a = {3, 7, 1, 19};
        long[] b = {5, 2};
        long[] c = {4, 4, 8, 4, 4, 11, 4};
        try (DecoderModel.Batch batch = model.newBatch()) {
            assertThat(batch.add(a, ForwardContext.MEAN_TASK)).containsExactly(alone(model, m, a), within(1e-4f));
            assertThat(batch.add(b, ForwardContext.MEAN_TASK)).containsExactly(alone(model, m, b), within(1e-4f));
            float[][] s1 = batch.step(new long[] {0, 9});
            a = cat(a, 0);
            b = cat(b, 9);
            assertThat(s1[0]).containsExactly(alone(model, m, a), within(1e-4f));
            assertThat(s1[1]).containsExactly(alone(model, m, b), within(1e-4f));
            assertThat(batch.add(c, ForwardContext.MEAN_TASK)).as("a row longer than the batch").containsExactly(alone(model, m, c), within(1e-4f));
            float[][] s2 = batch.step(new long[] {12, 1, 6});
            a = cat(a, 12);
            b = cat(b, 1);
            c = cat(c, 6);
            assertThat(s2[0]).containsExactly(alone(model, m, a), within(1e-4f));
            assertThat(s2[1]).containsExactly(alone(model, m, b), within(1e-4f));
            assertThat(s2[2]).containsExactly(alone(model, m, c), within(1e-4f));
            batch.remove(0);
            assertThat(batch.size()).isEqualTo(2);
            assertThat(batch.length(0)).isEqualTo(b.length);
            float[][] s3 = batch.step(new long[] {2, 7});
            b = cat(b, 2);
            c = cat(c, 7);
            assertThat(s3[0]).containsExactly(alone(model, m, b), within(1e-4f));
            assertThat(s3[1]).containsExactly(alone(model, m, c), within(1e-4f));
            batch.remove(1); // the longest leaves: the batch narrows to the row left
            float[][] s4 = batch.step(new long[] {3});
            assertThat(s4[0]).containsExactly(alone(model, m, cat(b, 3)), within(1e-4f));
        }
    }

    static double maxDiff(float[] ours, float[][] ref) {
        double maxDiff = 0;
        for (int t = 0; t < ref.length; t++) {
            for (int v = 0; v < ref[t].length; v++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[t * ref[t].length + v] - ref[t][v]));
            }
        }
        return maxDiff;
    }

    /**
     * Scalar forward: RMSNorm, rotate-half RoPE (frequencies rescaled as Llama 3.1 defines when configured), q/k
     * RMSNorm per head (Qwen3), causal GQA within the sliding window (Mistral), SwiGLU, untied or tied head.
     */
    private float[][] naive(long[] ids) {
        int n = ids.length;
        int d = C.hiddenSize();
        int h = C.numAttentionHeads();
        int hkv = C.numKeyValueHeads();
        int dh = C.headDim();
        boolean gemma = C.gemma() != null;
        double[][] x = new double[n][d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i++) {
                x[t][i] = w.get("model.embed_tokens.weight").data()[(int) ids[t] * d + i] * (gemma ? Math.sqrt(d) : 1);
            }
        }
        for (int l = 0; l < C.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            // Gemma 2: even layers local; Gemma 3: all but every globalEvery-th; Mistral, Phi-3: all
            boolean local = C.slidingWindow() > 0 && (!gemma || (l + 1) % C.gemma().globalEvery() != 0);
            int window = local ? C.slidingWindow() : 0;
            boolean ownBase = local && gemma && C.gemma().localRopeTheta() > 0;
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] nx = rms(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = affine(p + "self_attn.q_proj", nx);
                k[t] = affine(p + "self_attn.k_proj", nx);
                if (C.qkNorm()) {
                    q[t] = perHeadRms(q[t], h, dh, w.get(p + "self_attn.q_norm.weight"));
                    k[t] = perHeadRms(k[t], hkv, dh, w.get(p + "self_attn.k_norm.weight"));
                }
                q[t] = rope(q[t], t, h, dh, ownBase);
                k[t] = rope(k[t], t, hkv, dh, ownBase);
                v[t] = affine(p + "self_attn.v_proj", nx);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[h * dh];
                int from = window > 0 ? Math.max(0, t - window + 1) : 0;
                for (int head = 0; head < h; head++) {
                    int g = head / (h / hkv);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = from; j <= t; j++) {
                        for (int i = 0; i < dh; i++) {
                            s[j] += q[t][head * dh + i] * k[j][g * dh + i];
                        }
                        s[j] /= Math.sqrt(gemma ? C.gemma().queryPreAttnScalar() : dh);
                        if (gemma && C.gemma().attnSoftcap() > 0) {
                            s[j] = C.gemma().attnSoftcap() * Math.tanh(s[j] / C.gemma().attnSoftcap());
                        }
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = from; j <= t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = from; j <= t; j++) {
                        for (int i = 0; i < dh; i++) {
                            att[head * dh + i] += s[j] / z * v[j][g * dh + i];
                        }
                    }
                }
                double[] o = affine(p + "self_attn.o_proj", att);
                if (gemma) {
                    o = rms(o, w.get(p + "post_attention_layernorm.weight"));
                }
                for (int i = 0; i < d; i++) {
                    x[t][i] += o[i];
                }
                double[] mx = rms(x[t], w.get(p + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")));
                double[] gate = affine(p + "mlp.gate_proj", mx);
                double[] up = affine(p + "mlp.up_proj", mx);
                for (int i = 0; i < gate.length; i++) {
                    double g = gate[i];
                    double act = gemma ? 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))) : g / (1 + Math.exp(-g));
                    gate[i] = act * up[i];
                }
                double[] down = affine(p + "mlp.down_proj", gate);
                if (gemma) {
                    down = rms(down, w.get(p + "post_feedforward_layernorm.weight"));
                }
                for (int i = 0; i < d; i++) {
                    x[t][i] += down[i];
                }
            }
        }
        float[][] out = new float[n][];
        for (int t = 0; t < n; t++) {
            double[] logits = affine(C.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head", rms(x[t], w.get("model.norm.weight")));
            out[t] = new float[logits.length];
            for (int i = 0; i < logits.length; i++) {
                double cap = gemma ? C.gemma().finalSoftcap() : 0;
                out[t][i] = (float) (cap > 0 ? cap * Math.tanh(logits[i] / cap) : logits[i]);
            }
        }
        return out;
    }

    private double[] perHeadRms(double[] x, int heads, int dh, HostTensor g) {
        double[] out = new double[x.length];
        for (int head = 0; head < heads; head++) {
            double[] part = java.util.Arrays.copyOfRange(x, head * dh, (head + 1) * dh);
            System.arraycopy(rms(part, g), 0, out, head * dh, dh);
        }
        return out;
    }

    /**
     * The rotary inverse frequency of pair i, with Llama 3.1's rescaling (HF's llama3 rope type) or the linear one when
     * configured; Gemma 3's local layers use their own base and no scaling.
     */
    private double invFreq(int i, int dh, boolean ownBase) {
        if (ownBase) {
            return Math.pow(C.gemma().localRopeTheta(), -2.0 * i / dh);
        }
        double f = Math.pow(C.ropeTheta(), -2.0 * i / dh);
        if (C.ropeScaling() instanceof LlamaConfig.LinearScaling linear) {
            return f / linear.factor();
        }
        if (!(C.ropeScaling() instanceof LlamaConfig.Llama3Scaling s)) {
            return f;
        }
        double wavelen = 2 * Math.PI / f;
        if (wavelen > s.originalMaxPositions() / s.lowFreqFactor()) {
            return f / s.factor();
        }
        if (wavelen < s.originalMaxPositions() / s.highFreqFactor()) {
            return f;
        }
        double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * f / s.factor() + smooth * f;
    }

    private double[] affine(String name, double[] in) {
        HostTensor wt = w.get(name + ".weight");
        HostTensor b = w.get(name + ".bias");
        int rows = (int) wt.dim(0);
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = b == null ? 0 : b.data()[r];
            for (int c = 0; c < in.length; c++) {
                s += wt.data()[r * in.length + c] * in[c];
            }
            out[r] = s;
        }
        return out;
    }

    private double[] rms(double[] x, HostTensor g) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        double inv = 1 / Math.sqrt(ms / x.length + C.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * (C.gemma() != null ? 1 + g.data()[i] : g.data()[i]); // Gemma scales by 1 + w
        }
        return out;
    }

    private double[] rope(double[] x, int pos, int heads, int dh, boolean ownBase) {
        double[] out = x.clone();
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < dh / 2; i++) {
                double angle = pos * invFreq(i, dh, ownBase);
                double a = x[head * dh + i];
                double b = x[head * dh + i + dh / 2];
                out[head * dh + i] = a * Math.cos(angle) - b * Math.sin(angle);
                out[head * dh + i + dh / 2] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return out;
    }
}
