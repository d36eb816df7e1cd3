package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.tokenizer.Llama2cTokenizer;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/** Autoregressive generation with a KV cache: greedy (temperature 0), temperature sampling, top-p. */
public final class Generator {
    private Generator() {}

    /** Generates after the prompt; {@code onText} receives each piece as it is decoded (may be null). */
    static String generate(LlamaModel model, TextTokenizer tok, String prompt, DecoderModel.Sampling o, ForwardContext ctx, Consumer<String> onText) {
        long[] promptIds = tok.encode(prompt);
        NDManager m = model.manager();
        Random rnd = new Random(o.seed());
        List<Long> out = new ArrayList<>();
        StringBuilder text = new StringBuilder(tok.decode(promptIds));
        long prev = promptIds[promptIds.length - 1];
        try (KvCache cache = new KvCache(model.config().numHiddenLayers())) {
            long[] step = promptIds;
            int limit = Math.min(o.maxTokens(), model.config().maxPositionEmbeddings() - promptIds.length);
            for (int t = 0; t < limit; t++) {
                float[] logits;
                try (NDScope scope = new NDScope()) {
                    NDArray ids = m.create(step, new Shape(1, step.length));
                    NDArray h = model.hidden(ids, cache, ctx);
                    NDArray last = h.get(new NDIndex(":, -1:, :"));
                    logits = model.logits(last).toType(DataType.FLOAT32, false).toFloatArray();
                }
                long next = sample(logits, o, rnd);
                if (tok instanceof Llama2cTokenizer && (next == Llama2cTokenizer.BOS || next == Llama2cTokenizer.EOS)) {
                    break;
                }
                out.add(next);
                String piece = tok.decodeNext(prev, next);
                text.append(piece);
                if (onText != null) {
                    onText.accept(piece);
                }
                prev = next;
                step = new long[] {next};
            }
        }
        return text.toString();
    }

    static long sample(float[] logits, DecoderModel.Sampling o, Random rnd) {
        if (o.temperature() <= 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / o.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double topP = o.topP() <= 0 || o.topP() > 1 ? 1 : o.topP();
        int keep = 0;
        double mass = 0;
        while (keep < order.length && (keep == 0 || mass < topP)) {
            mass += p[order[keep++]];
        }
        double r = rnd.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            r -= p[order[i]];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
