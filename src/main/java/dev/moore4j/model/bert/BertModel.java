package dev.moore4j.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.io.WeightSource;
import dev.moore4j.model.BaseModel;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.EncoderModel;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.Ops;
import dev.moore4j.model.Probe;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * BERT encoder (post-LN), as in the original paper and Hugging Face {@code BertModel}:
 * <pre>
 *   h = LN(word[ids] + pos[0..S) + type[types])
 *   per layer:  a = LN(h + O · attn(Q h, K h, V h, mask));   h = LN(a + Out · gelu(In · a))
 * </pre>
 * Weights are frozen; linear layers sit in {@link LinearSlot}s so adapters can replace them.
 */
public final class BertModel extends BaseModel implements EncoderModel {
    /** One encoder block; linears named as in HF checkpoints. */
    record Layer(
            LinearSlot query, LinearSlot key, LinearSlot value, LinearSlot attnOut,
            NDArray ln1Weight, NDArray ln1Bias, // attention.output.LayerNorm [D]
            LinearSlot intermediate, LinearSlot output,
            NDArray ln2Weight, NDArray ln2Bias, // output.LayerNorm [D]
            FfnSlot ffn) { // intermediate → gelu → output, replaceable whole

        Layer(LinearSlot query, LinearSlot key, LinearSlot value, LinearSlot attnOut, NDArray ln1Weight, NDArray ln1Bias,
              LinearSlot intermediate, LinearSlot output, NDArray ln2Weight, NDArray ln2Bias) {
            this(query, key, value, attnOut, ln1Weight, ln1Bias, intermediate, output, ln2Weight, ln2Bias,
                    new FfnSlot(intermediate.name().replace(".intermediate.dense", ".ffn"), FfnSlot.Kind.GELU, List.of(intermediate, output)));
        }
    }

    private final BertConfig config;
    private final NDArray wordEmbeddings;     // [V, D]
    private final NDArray positionEmbeddings; // [P, D]
    private final NDArray typeEmbeddings;     // [T, D]
    private final NDArray embLnWeight;        // [D]
    private final NDArray embLnBias;          // [D]
    private final List<Layer> layers;

    private BertModel(BertConfig config, NDManager manager, String hash, NDArray word, NDArray pos, NDArray type,
                      NDArray lnW, NDArray lnB, List<Layer> layers) {
        super(manager, hash);
        this.config = config;
        this.wordEmbeddings = word;
        this.positionEmbeddings = pos;
        this.typeEmbeddings = type;
        this.embLnWeight = lnW;
        this.embLnBias = lnB;
        this.layers = layers;
    }

    /** Builds the model from HF-named weights ([out, in] linears), checking every tensor's shape. */
    public static BertModel load(BertConfig c, WeightSource w, NDManager manager) {
        int d = c.hiddenSize();
        int ff = c.intermediateSize();
        NDArray word = w.nd("embeddings.word_embeddings.weight", manager, c.vocabSize(), d);
        NDArray pos = w.nd("embeddings.position_embeddings.weight", manager, c.maxPositionEmbeddings(), d);
        NDArray type = w.nd("embeddings.token_type_embeddings.weight", manager, c.typeVocabSize(), d);
        NDArray lnW = w.nd("embeddings.LayerNorm.weight", manager, d);
        NDArray lnB = w.nd("embeddings.LayerNorm.bias", manager, d);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            layers.add(new Layer(
                    linear(w, manager, p + "attention.self.query", d, d),
                    linear(w, manager, p + "attention.self.key", d, d),
                    linear(w, manager, p + "attention.self.value", d, d),
                    linear(w, manager, p + "attention.output.dense", d, d),
                    w.nd(p + "attention.output.LayerNorm.weight", manager, d),
                    w.nd(p + "attention.output.LayerNorm.bias", manager, d),
                    linear(w, manager, p + "intermediate.dense", d, ff),
                    linear(w, manager, p + "output.dense", ff, d),
                    w.nd(p + "output.LayerNorm.weight", manager, d),
                    w.nd(p + "output.LayerNorm.bias", manager, d)));
        }
        w.checkAllUsed();
        return new BertModel(c, manager, w.hash(), word, pos, type, lnW, lnB, layers);
    }

    private static LinearSlot linear(WeightSource w, NDManager m, String name, int in, int out) {
        return loadLinear(w, m, name, in, out, true);
    }

    @Override
    public BertConfig config() {
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
    public float[][] embed(TextTokenizer tok, List<String> texts, ForwardContext ctx) {
        return Embedder.embed(this, tok, texts, ctx);
    }

    @Override
    public float[] probeOutputs(TextTokenizer tok, ForwardContext ctx) {
        NDList in = BertBatch.of(tok, Probe.SENTENCES, null).toNd(manager());
        NDArray h = forward(in.get(0), in.get(1), in.get(2), ctx);
        NDArray masked = h.mul(in.get(1).toType(h.getDataType(), false).expandDims(-1));
        return masked.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /**
     * Last hidden state [B, S, D] for token ids [B, S] (int64), attention mask [B, S] (1 = token,
     * 0 = padding) and token types [B, S] (or null for all zeros).
     */
    @Override
    public NDArray forward(NDArray ids, NDArray mask, NDArray types, ForwardContext context) {
        long seq = ids.getShape().get(1);
        if (seq > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + seq + " tokens exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        NDArray pos = positionEmbeddings.get(new NDIndex("0:{}", seq));
        NDArray typeIds = types != null ? types : ids.zerosLike();
        NDArray h = wordEmbeddings.get(ids).add(pos).add(typeEmbeddings.get(typeIds));
        h = Ops.layerNorm(h, embLnWeight, embLnBias, config.layerNormEps());
        // additive mask over keys: 0 for tokens, a large negative number for padding; [B, 1, 1, S]
        NDArray maskBias = Ops.mul(Ops.add(mask.toType(h.getDataType(), false), -1), 1e9).expandDims(1).expandDims(1);
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        int heads = config.numAttentionHeads();
        ForwardContext ctx = context.withTokenMask(mask); // routers' load-balance losses and routing records skip padding
        for (Layer l : layers) {
            UnaryOperator<NDArray> layer = x -> {
                NDArray q = Ops.splitHeads(l.query().forward(x, ctx), heads);
                NDArray k = Ops.splitHeads(l.key().forward(x, ctx), heads);
                NDArray v = Ops.splitHeads(l.value().forward(x, ctx), heads);
                NDArray scores = Ops.mul(q.matMul(k.transpose(0, 1, 3, 2)), scale).add(maskBias);
                NDArray attn = Ops.mergeHeads(scores.softmax(-1).matMul(v));
                NDArray a = Ops.layerNorm(x.add(l.attnOut().forward(attn, ctx)), l.ln1Weight(), l.ln1Bias(), config.layerNormEps());
                NDArray f = l.ffn().forward(a, ctx);
                return Ops.layerNorm(a.add(f), l.ln2Weight(), l.ln2Bias(), config.layerNormEps());
            };
            NDArray in = h;
            h = ctx.recompute() != null ? ctx.recompute().layer(in, layer) : Ops.layer(true, () -> layer.apply(in));
        }
        return ctx.recompute() != null ? ctx.recompute().output(h) : h;
    }

    /** Mean of the token states over the mask, L2-normalised: [B, D]. */
    public static NDArray meanPool(NDArray hidden, NDArray mask, boolean normalize) {
        NDArray m = mask.toType(hidden.getDataType(), false).expandDims(-1);
        NDArray pooled = hidden.mul(m).sum(new int[] {1}).div(Ops.maximum(m.sum(new int[] {1}), 1e-9));
        if (!normalize) {
            return pooled;
        }
        return pooled.div(Ops.maximum(pooled.norm(new int[] {-1}, true), 1e-12));
    }

    @Override
    public String family() {
        return "bert";
    }

    @Override
    public List<LinearSlot> linearSlots() {
        List<LinearSlot> out = new ArrayList<>();
        for (Layer l : layers) {
            out.addAll(List.of(l.query(), l.key(), l.value(), l.attnOut(), l.intermediate(), l.output()));
        }
        return out;
    }

    @Override
    public List<FfnSlot> ffnSlots() {
        return layers.stream().map(Layer::ffn).toList();
    }

    @Override
    public long parameterCount() {
        long n = wordEmbeddings.size() + positionEmbeddings.size() + typeEmbeddings.size() + 2L * config.hiddenSize();
        for (Layer l : layers) {
            n += 4L * config.hiddenSize();
        }
        for (LinearSlot s : linearSlots()) {
            n += (long) s.get().inFeatures() * s.get().outFeatures() + s.get().outFeatures();
        }
        return n;
    }

    public DataType dataType() {
        return wordEmbeddings.getDataType();
    }
}
