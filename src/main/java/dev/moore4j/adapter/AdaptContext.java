package dev.moore4j.adapter;

import dev.moore4j.linalg.FactorCache;
import dev.moore4j.util.Seeds;

/**
 * What injection needs besides the model and the config.
 *
 * @param tasks number of task ids (task-routed methods size their tables by it)
 * @param seed  initialisation seed; layer i draws from {@code seed · 1000003 + i}
 * @param cache SVD factor cache (SVD-initialised methods)
 */
public record AdaptContext(int tasks, long seed, FactorCache cache) {
    public AdaptContext {
        if (tasks < 1) {
            throw new IllegalArgumentException("an adapter needs at least one task id, got " + tasks);
        }
    }

    /** Seed of the {@code index}-th adapted layer. */
    public long layerSeed(int index) {
        return Seeds.mix(seed, index);
    }
}
