package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * cos and sin of pos·θ^(−2i/dh) per span (the span's θ and scaling; see {@link LlamaConfig#invFreq}), each repeated for
 * both halves of a head: [rows, dh]. A span without a rotation of its own shares the global tables. They start at
 * 4,096 positions (a 128k-position Gemma 3 would hold 0.5 GB of tables it rarely reads) and double on demand up to
 * {@code max_position_embeddings}; the arrays they replace stay with the model's manager, since a pass on another
 * thread may still read them.
 */
final class RotaryTables {
    private final LlamaConfig config;
    private final NDManager manager;
    private final NDArray[] cos = new NDArray[LlamaConfig.Span.values().length];
    private final NDArray[] sin = new NDArray[cos.length];
    private int rows;

    RotaryTables(LlamaConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
        grow(Math.min(config.maxPositionEmbeddings(), 4096));
    }

    /** Rows {@code [start, start + n)} of a span's tables, [n, dh] each. */
    synchronized NDArray[] rows(LlamaConfig.Span span, int start, int n) {
        grow(start + n);
        NDIndex r = new NDIndex("{}:{}", start, start + n);
        return new NDArray[] {cos[span.ordinal()].get(r), sin[span.ordinal()].get(r)};
    }

    /** A span's rows at the given positions, [B, 1, 1, dh] each (one query per row). */
    synchronized NDArray[] at(LlamaConfig.Span span, long[] positions, NDManager m) {
        grow((int) Arrays.stream(positions).max().orElse(0) + 1);
        NDArray idx = m.create(positions);
        long dh = config.headDim();
        return new NDArray[] {cos[span.ordinal()].get(idx).reshape(positions.length, 1, 1, dh),
                sin[span.ordinal()].get(idx).reshape(positions.length, 1, 1, dh)};
    }

    private void grow(int positions) {
        if (positions <= rows) {
            return;
        }
        int n = Math.min(config.maxPositionEmbeddings(), Math.max(positions, 2 * rows));
        for (LlamaConfig.Span span : LlamaConfig.Span.values()) {
            NDArray[] table = span == LlamaConfig.Span.GLOBAL || config.ownRotation(span) ? compute(span, n) : new NDArray[] {cos[0], sin[0]};
            for (NDArray t : table) {
                NDScope.unregister(t); // a step's scope may be open: the tables belong to the model
            }
            cos[span.ordinal()] = table[0];
            sin[span.ordinal()] = table[1];
        }
        rows = n;
    }

    private NDArray[] compute(LlamaConfig.Span span, int n) {
        int dh = config.headDim();
        float[] cs = new float[n * dh];
        float[] sn = new float[n * dh];
        for (int pos = 0; pos < n; pos++) {
            for (int i = 0; i < dh / 2; i++) {
                double angle = pos * config.invFreq(span, i);
                cs[pos * dh + i] = cs[pos * dh + i + dh / 2] = (float) Math.cos(angle);
                sn[pos * dh + i] = sn[pos * dh + i + dh / 2] = (float) Math.sin(angle);
            }
        }
        return new NDArray[] {manager.create(cs, new Shape(n, dh)), manager.create(sn, new Shape(n, dh))};
    }
}
