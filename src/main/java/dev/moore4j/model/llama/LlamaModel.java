package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.WeightSource;
import dev.moore4j.model.BaseModel;
import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.Mergeable;
import dev.moore4j.model.Ops;
import dev.moore4j.model.Probe;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Llama-family decoder (pre-norm, RMSNorm, rotary positions in the Hugging Face "rotate half" layout,
 * grouped-query attention, SwiGLU FFN; optional q/k/v biases as in Qwen2):
 * <pre>
 *   x = emb[ids]
 *   per layer:  x += O · attn(rope(Q n), rope(K n), V n)  with n = rms(x)
 *               x += Down · (silu(Gate m) ⊙ Up m)          with m = rms(x)
 *   logits = Head · rms(x)       (Head = emb when tied)
 * </pre>
 */
public final class LlamaModel extends BaseModel implements DecoderModel {
    record Layer(
            NDArray attnNorm,                      // input_layernorm [D]
            LinearSlot q, LinearSlot k, LinearSlot v, LinearSlot o,
            NDArray qNorm, NDArray kNorm,          // Qwen3's q_norm, k_norm [dh], or null
            NDArray ffnNorm,                       // post_attention_layernorm [D]
            LinearSlot gate, LinearSlot up, LinearSlot down,
            FfnSlot ffn) { // down(silu(gate) ⊙ up), replaceable whole

        Layer(NDArray attnNorm, LinearSlot q, LinearSlot k, LinearSlot v, LinearSlot o, NDArray qNorm, NDArray kNorm, NDArray ffnNorm,
              LinearSlot gate, LinearSlot up, LinearSlot down) {
            this(attnNorm, q, k, v, o, qNorm, kNorm, ffnNorm, gate, up, down,
                    new FfnSlot(gate.name().replace(".gate_proj", ""), FfnSlot.Kind.SWIGLU, List.of(gate, up, down)));
        }
    }

    private final LlamaConfig config;
    private final NDArray embeddings;   // [V, D]
    private final List<Layer> layers;
    private final NDArray finalNorm;    // [D]
    private final NDArray headInOut;    // [D, V]: embᵀ when tied, else lm_headᵀ
    private final NDArray cos;          // [maxPos, dh]
    private final NDArray sin;          // [maxPos, dh]

    private LlamaModel(LlamaConfig config, NDManager manager, String hash, NDArray embeddings, List<Layer> layers,
                       NDArray finalNorm, NDArray headInOut) {
        super(manager, hash);
        this.config = config;
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.headInOut = headInOut;
        NDArray[] table = ropeTables(config, manager);
        this.cos = table[0];
        this.sin = table[1];
    }

    /** Builds the model from HF-named weights, checking every tensor's shape. */
    public static LlamaModel load(LlamaConfig c, WeightSource w, NDManager m) {
        int d = c.hiddenSize();
        int qd = c.qDim();
        int kv = c.kvDim();
        int ff = c.intermediateSize();
        NDArray emb = w.nd("model.embed_tokens.weight", m, c.vocabSize(), d);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new Layer(
                    w.nd(p + "input_layernorm.weight", m, d),
                    linear(w, m, p + "self_attn.q_proj", d, qd, c.qkvBias()),
                    linear(w, m, p + "self_attn.k_proj", d, kv, c.qkvBias()),
                    linear(w, m, p + "self_attn.v_proj", d, kv, c.qkvBias()),
                    linear(w, m, p + "self_attn.o_proj", qd, d, false),
                    c.qkNorm() ? w.nd(p + "self_attn.q_norm.weight", m, c.headDim()) : null,
                    c.qkNorm() ? w.nd(p + "self_attn.k_norm.weight", m, c.headDim()) : null,
                    w.nd(p + "post_attention_layernorm.weight", m, d),
                    linear(w, m, p + "mlp.gate_proj", d, ff, false),
                    linear(w, m, p + "mlp.up_proj", d, ff, false),
                    linear(w, m, p + "mlp.down_proj", ff, d, false)));
        }
        NDArray norm = w.nd("model.norm.weight", m, d);
        NDArray head = c.tieWordEmbeddings() || !w.has("lm_head.weight")
                ? emb.transpose() // a view: the tied head shares the embedding's memory (545 MB for Qwen2.5-0.5B)
                : w.linearInOut("lm_head.weight", m, d, c.vocabSize());
        w.checkAllUsed();
        return new LlamaModel(c, m, w.hash(), emb, layers, norm, head);
    }

    private static LinearSlot linear(WeightSource w, NDManager m, String name, int in, int out, boolean bias) {
        return loadLinear(w, m, name, in, out, bias);
    }

    /** cos/sin of pos·θ^(−2i/dh), each repeated for both halves of a head: [maxPos, dh]. */
    private static NDArray[] ropeTables(LlamaConfig c, NDManager m) {
        int dh = c.headDim();
        int n = c.maxPositionEmbeddings();
        float[] cs = new float[n * dh];
        float[] sn = new float[n * dh];
        for (int pos = 0; pos < n; pos++) {
            for (int i = 0; i < dh / 2; i++) {
                double invFreq = Math.pow(c.ropeTheta(), -2.0 * i / dh);
                invFreq = c.ropeScaling() != null ? c.ropeScaling().apply(invFreq) : invFreq;
                double angle = pos * invFreq;
                cs[pos * dh + i] = cs[pos * dh + i + dh / 2] = (float) Math.cos(angle);
                sn[pos * dh + i] = sn[pos * dh + i + dh / 2] = (float) Math.sin(angle);
            }
        }
        return new NDArray[] {m.create(cs, new Shape(n, dh)), m.create(sn, new Shape(n, dh))};
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int maxPositions() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public Finish generate(TextTokenizer tok, long[] promptIds, Sampling sampling, ForwardContext ctx, TokenSink sink) {
        return Generator.generate(this, tok, promptIds, sampling, ctx, sink);
    }

    @Override
    public Batch newBatch() {
        return new DecodeBatch(this);
    }

    @Override
    public long kvBytesPerPosition() {
        return 2L * config.numHiddenLayers() * config.numKeyValueHeads() * config.headDim() * Float.BYTES;
    }

    /** Each sentence alone (no padding), its logits in order. */
    @Override
    public float[] probeOutputs(TextTokenizer tok, ForwardContext ctx) {
        float[][] parts = new float[Probe.SENTENCES.size()][];
        int total = 0;
        for (int i = 0; i < Probe.SENTENCES.size(); i++) {
            long[] ids = tok.encode(Probe.SENTENCES.get(i));
            NDArray logits = forward(manager().create(ids, new Shape(1, ids.length)), null, ctx.sample(i));
            parts[i] = logits.toType(DataType.FLOAT32, false).toFloatArray();
            total += parts[i].length;
        }
        float[] flat = new float[total];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, flat, o, p.length);
            o += p.length;
        }
        return flat;
    }

    /** Rotary embedding, "rotate half" layout: x·cos + [−x₂, x₁]·sin. x: [B, H, S, dh]. */
    private NDArray rope(NDArray x, NDArray cosS, NDArray sinS) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = x2.neg().concat(x1, -1);
        return x.mul(cosS).add(rotated.mul(sinS));
    }

    /**
     * Logits [B, S, V] for token ids [B, S] placed after {@code cache.length()} cached positions
     * (cache may be null for a full causal pass, e.g. training).
     */
    public NDArray forward(NDArray ids, KvCache cache, ForwardContext ctx) {
        return logits(hidden(ids, cache, ctx));
    }

    /**
     * Where a pass's queries sit and what each sees: the rotation of each query and key, the additive attention mask,
     * and the keys and values so far (a causal pass after one sequence's cache, or one step of a {@link DecodeBatch}).
     */
    interface Positions {
        /** cos and sin of the rotation, broadcastable to q [B, H, S, dh]. */
        NDArray cos();

        NDArray sin();

        /** Additive mask, broadcastable to the scores [B, H, S, T]. */
        NDArray mask();

        /** This step's k, v [B, H_kv, S, dh] of a layer with those cached before it. */
        NDArray[] keysValues(int layer, NDArray k, NDArray v);

        /** Whether arrays made in a layer outlive it (a cache keeps them). */
        boolean cached();
    }

    /** A causal pass of [B, S] tokens after {@code cache}'s positions (null: from position 0, nothing kept). */
    private Positions after(KvCache cache, int seq, NDManager m) {
        int start = cache == null ? 0 : cache.length();
        if (start + seq > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("position " + (start + seq) + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        NDArray cosS = cos.get(new NDIndex("{}:{}", start, start + seq));
        NDArray sinS = sin.get(new NDIndex("{}:{}", start, start + seq));
        NDArray mask = causalMask(seq, start, config.slidingWindow(), m);
        return new Positions() {
            public NDArray cos() {
                return cosS;
            }

            public NDArray sin() {
                return sinS;
            }

            public NDArray mask() {
                return mask;
            }

            public NDArray[] keysValues(int layer, NDArray k, NDArray v) {
                return cache == null ? new NDArray[] {k, v} : cache.append(layer, k, v);
            }

            public boolean cached() {
                return cache != null;
            }
        };
    }

    /** The rotation tables' rows at the given positions, [B, 1, 1, dh] each (one query per row). */
    NDArray[] rotationAt(long[] positions, NDManager m) {
        NDArray at = m.create(positions);
        long dh = cos.getShape().get(1);
        return new NDArray[] {cos.get(at).reshape(positions.length, 1, 1, dh), sin.get(at).reshape(positions.length, 1, 1, dh)};
    }

    /** Final-normed hidden states [B, S, D]. */
    public NDArray hidden(NDArray ids, KvCache cache, ForwardContext ctx) {
        return hidden(ids, after(cache, (int) ids.getShape().get(1), ids.getManager()), ctx);
    }

    /** Final-normed hidden states [B, S, D] of tokens placed as {@code pos} says. */
    NDArray hidden(NDArray ids, Positions pos, ForwardContext ctx) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        float eps = config.rmsNormEps();
        NDArray cosS = pos.cos();
        NDArray sinS = pos.sin();
        NDArray mask = pos.mask();
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        boolean cache = pos.cached();

        NDArray x = embeddings.get(ids);
        for (int li = 0; li < layers.size(); li++) {
            Layer l = layers.get(li);
            int index = li;
            UnaryOperator<NDArray> layer = in -> {
                NDArray n = Ops.rmsNorm(in, l.attnNorm(), eps);
                NDArray q = Ops.splitHeads(l.q().forward(n, ctx), heads);
                NDArray k = Ops.splitHeads(l.k().forward(n, ctx), kvHeads);
                if (l.qNorm() != null) { // Qwen3: each head normalised over its own dh values
                    q = Ops.rmsNorm(q, l.qNorm(), eps);
                    k = Ops.rmsNorm(k, l.kNorm(), eps);
                }
                q = rope(q, cosS, sinS);
                k = rope(k, cosS, sinS);
                NDArray v = Ops.splitHeads(l.v().forward(n, ctx), kvHeads);
                NDArray[] kvFull = pos.keysValues(index, k, v);
                k = kvFull[0];
                v = kvFull[1];
                if (kvHeads != heads) { // grouped-query attention: query head h reads kv head h / (H / H_kv)
                    k = k.repeat(1, heads / kvHeads);
                    v = v.repeat(1, heads / kvHeads);
                }
                NDArray scores = Ops.mul(q.matMul(k.transpose(0, 1, 3, 2)), scale).add(mask);
                NDArray y = in.add(l.o().forward(Ops.mergeHeads(scores.softmax(-1).matMul(v)), ctx));
                NDArray mm = Ops.rmsNorm(y, l.ffnNorm(), eps);
                return y.add(l.ffn().forward(mm, ctx));
            };
            NDArray in = x;
            // the KV cache keeps arrays made inside the layer, so only a cache-free pass frees per layer
            x = ctx.recompute() != null && !cache ? ctx.recompute().layer(in, layer) : Ops.layer(!cache, () -> layer.apply(in));
        }
        if (ctx.recompute() != null && !cache) {
            x = ctx.recompute().output(x);
        }
        return Ops.rmsNorm(x, finalNorm, eps);
    }

    public NDArray logits(NDArray hidden) {
        return hidden.matMul(headInOut);
    }

    /**
     * Additive mask [S, start+S]: query i (at position start+i) sees keys 0..start+i, and with a sliding window
     * {@code w > 0} only the last w of them (keys start+i−w+1..start+i).
     */
    private static NDArray causalMask(int seq, int start, int window, NDManager m) {
        float[] mask = new float[seq * (start + seq)];
        for (int i = 0; i < seq; i++) {
            for (int j = 0; j < start + seq; j++) {
                if (j > start + i || (window > 0 && start + i - j >= window)) {
                    mask[i * (start + seq) + j] = -1e9f;
                }
            }
        }
        return m.create(mask, new Shape(seq, start + seq));
    }

    @Override
    public String family() {
        return "llama";
    }

    @Override
    public List<LinearSlot> linearSlots() {
        List<LinearSlot> out = new ArrayList<>();
        for (Layer l : layers) {
            out.addAll(List.of(l.q(), l.k(), l.v(), l.o(), l.gate(), l.up(), l.down()));
        }
        return out;
    }

    @Override
    public List<FfnSlot> ffnSlots() {
        return layers.stream().map(Layer::ffn).toList();
    }

    @Override
    public long aliasedBytes() {
        return config.tieWordEmbeddings() ? headInOut.size() * headInOut.getDataType().getNumOfBytes() : 0;
    }

    @Override
    public long parameterCount() {
        long n = embeddings.size() + finalNorm.size() + 2L * layers.size() * config.hiddenSize()
                + (config.qkNorm() ? 2L * layers.size() * config.headDim() : 0);
        if (!config.tieWordEmbeddings()) {
            n += headInOut.size();
        }
        for (LinearSlot s : linearSlots()) {
            n += (long) s.get().inFeatures() * s.get().outFeatures();
        }
        return n;
    }

    /**
     * All weights in HF naming and layout ([out, in] linears), e.g. for export. Adapted layers go out in their
     * merged dense form ({@link Mergeable}); a layer without one (mixtures, MoORE) is an error.
     */
    @Override
    public Map<String, HostTensor> exportWeights() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", HostTensor.of(embeddings));
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "model.layers." + i + ".";
            out.put(p + "input_layernorm.weight", HostTensor.of(l.attnNorm()));
            if (l.qNorm() != null) {
                out.put(p + "self_attn.q_norm.weight", HostTensor.of(l.qNorm()));
                out.put(p + "self_attn.k_norm.weight", HostTensor.of(l.kNorm()));
            }
            out.put(p + "post_attention_layernorm.weight", HostTensor.of(l.ffnNorm()));
        }
        for (LinearSlot s : linearSlots()) {
            NDArray weight;
            NDArray bias;
            if (s.get() instanceof DenseLinear dense) {
                weight = dense.weightInOut();
                bias = dense.bias();
            } else if (s.get() instanceof Mergeable merged) {
                weight = merged.mergedWeightInOut();
                bias = merged.bias();
            } else {
                throw new MooreException(s.name() + ": " + s.get().getClass().getSimpleName()
                        + " routes per token or task and has no single dense weight; export supports base models and adapters of methods"
                        + " that merge (moore export --help lists them)");
            }
            out.put(s.name() + ".weight", HostTensor.of(weight).transpose2d());
            if (bias != null) {
                out.put(s.name() + ".bias", HostTensor.of(bias));
            }
        }
        out.put("model.norm.weight", HostTensor.of(finalNorm));
        if (!config.tieWordEmbeddings()) {
            out.put("lm_head.weight", HostTensor.of(headInOut).transpose2d());
        }
        return out;
    }

    public DataType dataType() {
        return embeddings.getDataType();
    }
}
