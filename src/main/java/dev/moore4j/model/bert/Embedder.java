package dev.moore4j.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.model.ForwardContext;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.List;

/** Sentence embeddings: mean-pooled, L2-normalised last hidden states. */
public final class Embedder {
    private Embedder() {}

    public static float[][] embed(BertModel model, TextTokenizer tok, List<String> texts, ForwardContext ctx) {
        NDManager m = model.manager();
        try (NDScope scope = new NDScope()) {
            NDList in = BertBatch.of(tok, texts, null).toNd(m);
            NDArray h = model.forward(in.get(0), in.get(1), in.get(2), ctx);
            NDArray e = BertModel.meanPool(h, in.get(1), true).toType(DataType.FLOAT32, false);
            float[] flat = e.toFloatArray();
            int d = (int) e.getShape().get(1);
            float[][] out = new float[texts.size()][d];
            for (int i = 0; i < texts.size(); i++) {
                System.arraycopy(flat, i * d, out[i], 0, d);
            }
            return out;
        }
    }
}
