package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.Decoding;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.tokenizer.TextTokenizer;

/** Autoregressive generation of one sequence with its own KV cache (the sampling and its ends: {@link Decoding}). */
public final class Generator {
    private Generator() {}

    /** Generates after the prompt's ids, handing each token to {@code sink} until an end token, the sink, or the budget stops it. */
    static DecoderModel.Finish generate(LlamaModel model, TextTokenizer tok, long[] promptIds, DecoderModel.Sampling o, ForwardContext ctx,
                                        DecoderModel.TokenSink sink) {
        NDManager m = model.manager();
        Decoding d = new Decoding(tok, promptIds, o, model.config().maxPositionEmbeddings(), sink);
        try (KvCache cache = new KvCache(model.config().numHiddenLayers())) {
            long[] step = promptIds;
            while (!d.done()) {
                float[] logits;
                try (NDScope scope = new NDScope()) {
                    NDArray h = model.hidden(m.create(step, new Shape(1, step.length)), cache, ctx);
                    logits = model.logits(h.get(new NDIndex(":, -1:, :"))).toType(DataType.FLOAT32, false).toFloatArray();
                }
                if (d.next(logits)) {
                    step = new long[] {d.last()};
                }
            }
        }
        return d.finish();
    }
}
