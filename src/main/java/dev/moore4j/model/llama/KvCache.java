package dev.moore4j.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the positions seen so far, per layer, [B, H_kv, T, head_dim]. The cache owns
 * its arrays: they survive the per-step {@link NDScope} and the previous ones are freed on update.
 */
public final class KvCache implements AutoCloseable {
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(int layers) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Number of cached positions. */
    public int length() {
        return length;
    }

    /** A layer's cached keys [B, H_kv, T, dh] (owned by the cache). */
    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Appends this step's k, v [B, H_kv, S, dh] for a layer and returns the full ones. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        keys[layer] = grow(keys[layer], k);
        values[layer] = grow(values[layer], v);
        if (layer == keys.length - 1) {
            length = (int) keys[layer].getShape().get(2);
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    private static NDArray grow(NDArray old, NDArray step) {
        NDArray full = old == null ? step.duplicate() : old.concat(step, 2);
        NDScope.unregister(full);
        if (old != null) {
            old.close();
        }
        return full;
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
                keys[i] = null;
                values[i] = null;
            }
        }
        length = 0;
    }
}
