package dev.moore4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.model.bert.BertBatch;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.List;

/**
 * Whole-model outputs on a fixed batch of sentences (last hidden states for encoders, logits for
 * decoders), used to check that an adapted model still computes what the base model did.
 */
public final class Probe {
    public static final List<String> SENTENCES = List.of(
            "Zoo",
            "The cat sat on the mat.",
            "A man is playing a guitar on the street while people walk by.",
            "Once upon a time, there was a little girl named Lily who loved to play outside in the sunshine with her friends.",
            "Yes.",
            "How many singular values does a 384 by 1536 matrix have?",
            "She went to the park, and then she went home to eat dinner with her mother and father and her little brother Tim.",
            "Multi-task adaptation without forgetting.");

    private Probe() {}

    /** Flattened fp32 outputs (padding positions excluded for encoders). */
    public static float[] outputs(TransformerModel model, TextTokenizer tok, ForwardContext ctx) {
        NDManager m = model.manager();
        try (NDScope scope = new NDScope()) {
            if (model instanceof BertModel bert) {
                NDList in = BertBatch.of(tok, SENTENCES, null).toNd(m);
                NDArray h = bert.forward(in.get(0), in.get(1), in.get(2), ctx);
                NDArray masked = h.mul(in.get(1).toType(h.getDataType(), false).expandDims(-1));
                return masked.toType(DataType.FLOAT32, false).toFloatArray();
            }
            LlamaModel llama = (LlamaModel) model;
            float[][] parts = new float[SENTENCES.size()][];
            int total = 0;
            for (int i = 0; i < SENTENCES.size(); i++) {
                long[] ids = tok.encode(SENTENCES.get(i));
                NDArray logits = llama.forward(m.create(ids, new Shape(1, ids.length)), null, ctx.sample(i));
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
    }

    /** max |a − b| / max |b|. */
    public static double maxRelDiff(float[] a, float[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff;
    }
}
