package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.engine.Engines;
import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.ForwardContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Sequences of different lengths decoded as one batch. Each layer's keys and values are one array [B, H_kv, T, dh]
 * whose rows are aligned on the right: a row's cached positions are its last {@code length} columns, the columns
 * before them are zeros that the mask hides. So a step appends one column for every row at once (one concatenation,
 * as a single sequence's cache does), a row joins by being padded on the left to the batch's width (or the batch to
 * its), and a row leaves by being dropped, the width shrinking to the longest row left. Each row is rotated at its
 * own position and routes by its own task.
 */
final class DecodeBatch implements DecoderModel.Batch {
    private final LlamaModel model;
    private final NDManager m;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final List<Integer> lengths = new ArrayList<>();
    private final List<Integer> tasks = new ArrayList<>();
    private int width;

    DecodeBatch(LlamaModel model) {
        this.model = model;
        this.m = model.manager();
        this.keys = new NDArray[model.config().numHiddenLayers()];
        this.values = new NDArray[model.config().numHiddenLayers()];
    }

    @Override
    public int size() {
        return lengths.size();
    }

    @Override
    public int length(int row) {
        return lengths.get(row);
    }

    @Override
    public float[] add(long[] promptIds, int taskId) {
        return Engines.withoutGrad(() -> prefill(promptIds, taskId)); // decoding records nothing, on whatever thread serves it
    }

    private float[] prefill(long[] promptIds, int taskId) {
        int n = promptIds.length;
        try (NDScope scope = new NDScope(); KvCache cache = new KvCache(keys.length)) {
            NDArray h = model.hidden(m.create(promptIds, new Shape(1, n)), cache, ForwardContext.tasks(false, taskId));
            float[] logits = model.logits(h.get(new NDIndex(":, -1:, :"))).toType(DataType.FLOAT32, false).toFloatArray();
            int w = Math.max(width, n);
            for (int l = 0; l < keys.length; l++) {
                keys[l] = keep(join(keys[l], w, cache.keys(l), w - n), keys[l]);
                values[l] = keep(join(values[l], w, cache.values(l), w - n), values[l]);
            }
            width = w;
            lengths.add(n);
            tasks.add(taskId);
            return logits;
        }
    }

    /** The batch (padded on the left to width {@code w}) with a new row padded on the left by {@code pad}. */
    private NDArray join(NDArray batch, int w, NDArray row, int pad) {
        NDArray r = padLeft(row, pad);
        if (batch == null) {
            return r.duplicate();
        }
        return padLeft(batch, w - width).concat(r, 0);
    }

    private NDArray padLeft(NDArray x, int pad) {
        if (pad == 0) {
            return x;
        }
        Shape s = x.getShape();
        return m.zeros(new Shape(s.get(0), s.get(1), pad, s.get(3)), x.getDataType()).concat(x, 2);
    }

    /** Keeps {@code now} beyond the step's scope and frees what it replaces. */
    private static NDArray keep(NDArray now, NDArray old) {
        NDScope.unregister(now);
        if (old != null && old != now) {
            old.close();
        }
        return now;
    }

    @Override
    public float[][] step(long[] tokens) {
        return Engines.withoutGrad(() -> decode(tokens));
    }

    private float[][] decode(long[] tokens) {
        int b = size();
        if (tokens.length != b) {
            throw new IllegalArgumentException(tokens.length + " tokens for " + b + " rows");
        }
        long[] positions = new long[b];
        int[] ids = new int[b];
        for (int i = 0; i < b; i++) {
            positions[i] = lengths.get(i);
            ids[i] = tasks.get(i);
            if (positions[i] >= model.config().maxPositionEmbeddings()) {
                throw new IllegalArgumentException("row " + i + ": position " + positions[i] + " exceeds max_position_embeddings "
                        + model.config().maxPositionEmbeddings());
            }
        }
        try (NDScope scope = new NDScope()) {
            LlamaModel.SpanTables[] tables = new LlamaModel.SpanTables[LlamaConfig.Span.values().length];
            for (LlamaConfig.Span span : model.config().spans()) {
                NDArray[] rotation = model.rotationAt(positions, span, m);
                tables[span.ordinal()] = new LlamaModel.SpanTables(rotation[0], rotation[1], mask(width + 1, model.config().window(span)));
            }
            LlamaModel.Positions pos = new LlamaModel.Positions() {
                public LlamaModel.SpanTables span(LlamaConfig.Span span) {
                    return tables[span.ordinal()];
                }

                public NDArray[] keysValues(int layer, NDArray k, NDArray v) {
                    keys[layer] = keep(keys[layer].concat(k, 2), keys[layer]);
                    values[layer] = keep(values[layer].concat(v, 2), values[layer]);
                    return new NDArray[] {keys[layer], values[layer]};
                }

                public boolean cached() {
                    return true;
                }
            };
            NDArray h = model.hidden(m.create(tokens, new Shape(b, 1)), pos, ForwardContext.tasks(false, ids));
            float[] flat = model.logits(h).toType(DataType.FLOAT32, false).toFloatArray();
            width++;
            int vocab = flat.length / b;
            float[][] out = new float[b][];
            for (int i = 0; i < b; i++) {
                lengths.set(i, lengths.get(i) + 1);
                out[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
            }
            return out;
        }
    }

    /**
     * [B, 1, 1, T]: row i sees its own last {@code length + 1} columns (its cache and this step's token), and with a
     * sliding window only the last {@code window} of them.
     */
    private NDArray mask(int t, int window) {
        int b = size();
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++) {
            int first = t - (lengths.get(i) + 1);
            if (window > 0) {
                first = Math.max(first, t - window);
            }
            for (int j = 0; j < first; j++) {
                mask[i * t + j] = -1e9f;
            }
        }
        return m.create(mask, new Shape(b, 1, 1, t));
    }

    @Override
    public void remove(int row) {
        lengths.remove(row);
        tasks.remove(row);
        if (lengths.isEmpty()) {
            close();
            return;
        }
        int w = lengths.stream().mapToInt(Integer::intValue).max().orElseThrow();
        try (NDScope scope = new NDScope()) {
            for (int l = 0; l < keys.length; l++) {
                keys[l] = keep(without(keys[l], row, w), keys[l]);
                values[l] = keep(without(values[l], row, w), values[l]);
            }
        }
        width = w;
    }

    /** The rows other than {@code row}, their last {@code w} columns, copied (the freed columns leave memory). */
    private NDArray without(NDArray x, int row, int w) {
        long rows = x.getShape().get(0);
        NDList parts = new NDList();
        if (row > 0) {
            parts.add(x.get(new NDIndex("0:{}, :, {}:", row, width - w)));
        }
        if (row + 1 < rows) {
            parts.add(x.get(new NDIndex("{}:, :, {}:", row + 1, width - w)));
        }
        return parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 0);
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) {
                keys[l].close();
                values[l].close();
                keys[l] = null;
                values[l] = null;
            }
        }
        lengths.clear();
        tasks.clear();
        width = 0;
    }
}
