package dev.moore4j.adapter.moore;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.MethodConfig;

import java.util.List;

/**
 * MoORE hyperparameters (METHODS.md §1); JSON keys in snake_case.
 *
 * @param taskEmbeddingDim D_t, width of the task embeddings (default 64)
 * @param sampleRouterDim  D_s, width of the sample router's bottleneck (default 128)
 * @param householder      L, Householder vectors (even, so the chain starts at identity; default 8)
 * @param targets          target module patterns (see {@code TargetMatcher}); empty = all linear layers
 * @param svdFp64          factorise in double precision (default false)
 */
public record MooreConfig(int taskEmbeddingDim, int sampleRouterDim, int householder, List<String> targets, boolean svdFp64)
        implements MethodConfig {
    public MooreConfig {
        targets = targets == null ? List.of() : List.copyOf(targets);
        if (taskEmbeddingDim < 1 || sampleRouterDim < 1) {
            throw new MooreException("keys 'task_embedding_dim' and 'sample_router_dim' must be positive");
        }
        if (householder < 0 || householder % 2 != 0) {
            throw new MooreException("key 'householder' must be an even number ≥ 0 (vectors start in identical pairs), got " + householder);
        }
    }

    /** The reference defaults: D_t = 64, D_s = 128, L = 8, all linear layers. */
    public static MooreConfig defaults() {
        return new MooreConfig(64, 128, 8, List.of(), false);
    }

    public MooreConfig withTargets(List<String> t) {
        return new MooreConfig(taskEmbeddingDim, sampleRouterDim, householder, t, svdFp64);
    }

    public MooreConfig withHouseholder(int l) {
        return new MooreConfig(taskEmbeddingDim, sampleRouterDim, l, targets, svdFp64);
    }
}
