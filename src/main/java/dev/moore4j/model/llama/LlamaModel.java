package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.engine.Engines;
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
 * Gemma ({@link LlamaConfig.Gemma}) scales x = √D · emb[ids], norms each sublayer's output too
 * ({@code x += rms(O · attn(…))}, {@code x += rms(Down · (geluTanh(Gate m) ⊙ Up m))}), scales every norm by 1 + w, and
 * soft-caps scores and logits; its local and global layers differ in window and rotation ({@link LlamaConfig.Span}).
 */
public final class LlamaModel extends BaseModel implements DecoderModel {
    record Layer(
            NDArray attnNorm,                      // input_layernorm [D]
            LinearSlot q, LinearSlot k, LinearSlot v, LinearSlot o,
            NDArray qNorm, NDArray kNorm,          // Qwen3's and Gemma 3's q_norm, k_norm [dh], or null
            NDArray postAttnNorm,                  // Gemma's post_attention_layernorm [D], or null
            NDArray ffnNorm,                       // post_attention_layernorm [D] (Gemma: pre_feedforward_layernorm)
            LinearSlot gate, LinearSlot up, LinearSlot down,
            NDArray postFfnNorm,                   // Gemma's post_feedforward_layernorm [D], or null
            FfnSlot ffn) { // down(act(gate) ⊙ up), replaceable whole

        Layer(NDArray attnNorm, LinearSlot q, LinearSlot k, LinearSlot v, LinearSlot o, NDArray qNorm, NDArray kNorm, NDArray postAttnNorm,
              NDArray ffnNorm, LinearSlot gate, LinearSlot up, LinearSlot down, NDArray postFfnNorm) {
            this(attnNorm, q, k, v, o, qNorm, kNorm, postAttnNorm, ffnNorm, gate, up, down, postFfnNorm,
                    new FfnSlot(gate.name().replace(".gate_proj", ""), postFfnNorm != null ? FfnSlot.Kind.GEGLU : FfnSlot.Kind.SWIGLU,
                            List.of(gate, up, down)));
        }

        /** Norm weights in HF names, in file order. */
        Map<String, NDArray> norms(String prefix, boolean gemma) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            out.put(prefix + "input_layernorm.weight", attnNorm);
            if (qNorm != null) {
                out.put(prefix + "self_attn.q_norm.weight", qNorm);
                out.put(prefix + "self_attn.k_norm.weight", kNorm);
            }
            if (gemma) {
                out.put(prefix + "post_attention_layernorm.weight", postAttnNorm);
                out.put(prefix + "pre_feedforward_layernorm.weight", ffnNorm);
                out.put(prefix + "post_feedforward_layernorm.weight", postFfnNorm);
            } else {
                out.put(prefix + "post_attention_layernorm.weight", ffnNorm);
            }
            return out;
        }
    }

    private final LlamaConfig config;
    private final NDArray embeddings;   // [V, D]
    private final List<Layer> layers;
    private final NDArray finalNorm;    // [D]
    private final NDArray headInOut;    // [D, V]: embᵀ when tied, else lm_headᵀ
    private final RotaryTables rotary;

    private LlamaModel(LlamaConfig config, NDManager manager, String hash, NDArray embeddings, List<Layer> layers,
                       NDArray finalNorm, NDArray headInOut) {
        super(manager, hash);
        this.config = config;
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.headInOut = headInOut;
        this.rotary = new RotaryTables(config, manager);
    }

    /** Builds the model from HF-named weights, checking every tensor's shape. */
    public static LlamaModel load(LlamaConfig c, WeightSource w, NDManager m) {
        int d = c.hiddenSize();
        int qd = c.qDim();
        int kv = c.kvDim();
        int ff = c.intermediateSize();
        boolean gemma = c.gemma() != null;
        NDArray emb = w.frozen("model.embed_tokens.weight", m, c.vocabSize(), d);
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
                    gemma ? w.nd(p + "post_attention_layernorm.weight", m, d) : null,
                    w.nd(p + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"), m, d),
                    linear(w, m, p + "mlp.gate_proj", d, ff, false),
                    linear(w, m, p + "mlp.up_proj", d, ff, false),
                    linear(w, m, p + "mlp.down_proj", ff, d, false),
                    gemma ? w.nd(p + "post_feedforward_layernorm.weight", m, d) : null));
        }
        NDArray norm = w.nd("model.norm.weight", m, d);
        boolean narrow = emb.getDataType() == DataType.FLOAT16;
        NDArray head = c.tieWordEmbeddings() || !w.has("lm_head.weight")
                ? emb.transpose() // a view: the tied head shares the embedding's memory (545 MB for Qwen2.5-0.5B)
                : narrow ? w.frozen("lm_head.weight", m, c.vocabSize(), d).transpose() // rows kept contiguous, as logits reads them
                : w.linearInOut("lm_head.weight", m, d, c.vocabSize());
        w.checkAllUsed();
        return new LlamaModel(c, m, w.hash(), emb, layers, norm, head);
    }

    private static LinearSlot linear(WeightSource w, NDManager m, String name, int in, int out, boolean bias) {
        return loadLinear(w, m, name, in, out, bias);
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
    public int attentionHeads() {
        return config.numAttentionHeads();
    }

    @Override
    public int maxPositions() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public Finish generate(TextTokenizer tok, long[] promptIds, Sampling sampling, ForwardContext ctx, TokenSink sink) {
        // autograd off on this thread: libtorch starts every new thread (a server's) with it on, and a 16-bit weight
        // is widened into reused scratch memory only where nothing is recorded
        return Engines.withoutGrad(() -> Generator.generate(this, tok, promptIds, sampling, ctx, sink));
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
        /** A span's rotation and mask. */
        SpanTables span(LlamaConfig.Span span);

        /** This step's k, v [B, H_kv, S, dh] of a layer with those cached before it. */
        NDArray[] keysValues(int layer, NDArray k, NDArray v);

        /** Whether arrays made in a layer outlive it (a cache keeps them). */
        boolean cached();
    }

    /**
     * cos and sin of a span's rotation, broadcastable to q [B, H, S, dh], and its additive mask, broadcastable to the
     * scores [B, H, S, T].
     */
    record SpanTables(NDArray cos, NDArray sin, NDArray mask) {}

    /** A causal pass of [B, S] tokens after {@code cache}'s positions (null: from position 0, nothing kept). */
    private Positions after(KvCache cache, int seq, NDManager m) {
        int start = cache == null ? 0 : cache.length();
        if (start + seq > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("position " + (start + seq) + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        // made before the layers, whose scopes free what they make
        SpanTables[] tables = new SpanTables[LlamaConfig.Span.values().length];
        for (LlamaConfig.Span span : config.spans()) {
            NDIndex rows = new NDIndex("{}:{}", start, start + seq);
            NDArray[] rotation = rotary.rows(span, start, seq);
            tables[span.ordinal()] = new SpanTables(rotation[0], rotation[1], causalMask(seq, start, config.window(span), m));
        }
        return new Positions() {
            public SpanTables span(LlamaConfig.Span span) {
                return tables[span.ordinal()];
            }

            public NDArray[] keysValues(int layer, NDArray k, NDArray v) {
                return cache == null ? new NDArray[] {k, v} : cache.append(layer, k, v);
            }

            public boolean cached() {
                return cache != null;
            }
        };
    }

    /** A span's rotation tables' rows at the given positions, [B, 1, 1, dh] each (one query per row). */
    NDArray[] rotationAt(long[] positions, LlamaConfig.Span span, NDManager m) {
        return rotary.at(span, positions, m);
    }

    /** Final-normed hidden states [B, S, D]. */
    public NDArray hidden(NDArray ids, KvCache cache, ForwardContext ctx) {
        return hidden(ids, after(cache, (int) ids.getShape().get(1), ids.getManager()), ctx);
    }

    /** Final-normed hidden states [B, S, D] of tokens placed as {@code pos} says. */
    NDArray hidden(NDArray ids, Positions pos, ForwardContext ctx) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        float scale = (float) config.scoreScale();
        float scoreCap = config.gemma() != null ? config.gemma().attnSoftcap() : 0;
        boolean cache = pos.cached();

        NDArray x = Ops.convertClosing(embeddings.get(ids), DataType.FLOAT32); // rows of a 16-bit table widen here
        if (config.gemma() != null) {
            x = Ops.mul(x, (float) Math.sqrt(config.hiddenSize())); // the normaliser in fp32, as HF rounds it
        }
        for (int li = 0; li < layers.size(); li++) {
            Layer l = layers.get(li);
            int index = li;
            LlamaConfig.Span span = config.span(li);
            UnaryOperator<NDArray> layer = in -> {
                NDArray n = norm(in, l.attnNorm());
                NDArray q = Ops.splitHeads(l.q().forward(n, ctx), heads);
                NDArray k = Ops.splitHeads(l.k().forward(n, ctx), kvHeads);
                if (l.qNorm() != null) { // Qwen3, Gemma 3: each head normalised over its own dh values
                    q = norm(q, l.qNorm());
                    k = norm(k, l.kNorm());
                }
                SpanTables at = pos.span(span);
                q = rope(q, at.cos(), at.sin());
                k = rope(k, at.cos(), at.sin());
                NDArray v = Ops.splitHeads(l.v().forward(n, ctx), kvHeads);
                NDArray[] kvFull = pos.keysValues(index, k, v);
                k = kvFull[0];
                v = kvFull[1];
                if (kvHeads != heads) { // grouped-query attention: query head h reads kv head h / (H / H_kv)
                    k = k.repeat(1, heads / kvHeads);
                    v = v.repeat(1, heads / kvHeads);
                }
                NDArray scores = Ops.mul(q.matMul(k.transpose(0, 1, 3, 2)), scale);
                if (scoreCap > 0) {
                    scores = Ops.softcap(scores, scoreCap);
                }
                NDArray a = l.o().forward(Ops.mergeHeads(scores.add(at.mask()).softmax(-1).matMul(v)), ctx);
                NDArray y = in.add(l.postAttnNorm() != null ? norm(a, l.postAttnNorm()) : a);
                NDArray f = l.ffn().forward(norm(y, l.ffnNorm()), ctx);
                return y.add(l.postFfnNorm() != null ? norm(f, l.postFfnNorm()) : f);
            };
            NDArray in = x;
            // the KV cache keeps arrays made inside the layer, so only a cache-free pass frees per layer
            x = ctx.recompute() != null && !cache ? ctx.recompute().layer(in, layer) : Ops.layer(!cache, () -> layer.apply(in));
        }
        if (ctx.recompute() != null && !cache) {
            x = ctx.recompute().output(x);
        }
        return norm(x, finalNorm);
    }

    /** RMSNorm with weight w, which Gemma applies as 1 + w (its checkpoints store the offset from one). */
    private NDArray norm(NDArray x, NDArray w) {
        return Ops.rmsNorm(x, config.gemma() != null ? Ops.add(w, 1) : w, config.rmsNormEps());
    }

    public NDArray logits(NDArray hidden) {
        NDArray logits;
        if (headInOut.getDataType() == hidden.getDataType()) {
            logits = hidden.matMul(headInOut);
        } else {
            try (NDArray rows = headInOut.transpose()) { // a 16-bit head is held as rows [V, D]
                logits = Ops.frozenMatMulRows(hidden, rows);
            }
        }
        return config.gemma() != null && config.gemma().finalSoftcap() > 0 ? Ops.softcap(logits, config.gemma().finalSoftcap()) : logits;
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
    public long frozenWeightCount() {
        return DecoderModel.super.frozenWeightCount() + embeddings.size() + (config.tieWordEmbeddings() ? 0 : headInOut.size());
    }

    @Override
    public long parameterCount() {
        long n = embeddings.size() + finalNorm.size();
        for (Layer l : layers) {
            n += l.norms("", config.gemma() != null).values().stream().mapToLong(NDArray::size).sum();
        }
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
            layers.get(i).norms("model.layers." + i + ".", config.gemma() != null).forEach((name, t) -> out.put(name, HostTensor.of(t)));
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
            // a 16-bit head is held as rows [V, D] already (see logits)
            out.put("lm_head.weight", headInOut.getDataType() == DataType.FLOAT16 ? HostTensor.of(headInOut.transpose())
                    : HostTensor.of(headInOut).transpose2d());
        }
        return out;
    }

    public DataType dataType() {
        return embeddings.getDataType();
    }
}
