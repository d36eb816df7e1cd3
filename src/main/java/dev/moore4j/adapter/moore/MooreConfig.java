package dev.moore4j.adapter.moore;

import dev.moore4j.MooreException;

import java.util.List;

/**
 * MoORE hyperparameters (METHODS.md §1). Round-trips to JSON with Jackson.
 *
 * @param tasks             number of task ids T (task embeddings)
 * @param taskEmbeddingDim  D_t
 * @param sampleRouterDim   D_s
 * @param householder       L, the number of Householder vectors (even, so the chain starts at identity)
 * @param targets           target module patterns (see {@code TargetMatcher}); empty = all linear layers
 * @param seed              initialisation seed
 * @param svdFp64           factorise in double precision
 */
public record MooreConfig(int tasks, int taskEmbeddingDim, int sampleRouterDim, int householder, List<String> targets, long seed,
                          boolean svdFp64) {
    public MooreConfig {
        targets = targets == null ? List.of() : List.copyOf(targets);
        if (tasks < 1) {
            throw new MooreException("moore config: field 'tasks' must be at least 1, got " + tasks);
        }
        if (taskEmbeddingDim < 1 || sampleRouterDim < 1) {
            throw new MooreException("moore config: fields 'taskEmbeddingDim' and 'sampleRouterDim' must be positive");
        }
        if (householder < 0 || householder % 2 != 0) {
            throw new MooreException("moore config: field 'householder' must be an even number ≥ 0 (vectors start in identical pairs), got " + householder);
        }
    }

    /** The reference defaults: D_t = 64, D_s = 128, L = 8, all linear layers. */
    public static MooreConfig defaults(int tasks) {
        return new MooreConfig(tasks, 64, 128, 8, List.of(), 42L, false);
    }

    public MooreConfig withTargets(List<String> t) {
        return new MooreConfig(tasks, taskEmbeddingDim, sampleRouterDim, householder, t, seed, svdFp64);
    }

    public MooreConfig withHouseholder(int l) {
        return new MooreConfig(tasks, taskEmbeddingDim, sampleRouterDim, l, targets, seed, svdFp64);
    }

    public MooreConfig withSeed(long s) {
        return new MooreConfig(tasks, taskEmbeddingDim, sampleRouterDim, householder, targets, s, svdFp64);
    }
}
