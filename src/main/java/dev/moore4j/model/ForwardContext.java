package dev.moore4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a forward pass needs besides the activations: the task id of every sample in the batch
 * (adapters that route by task read it; the base model ignores it), whether we are training, and
 * where layers leave auxiliary losses (load balance). Passed explicitly down the call chain, so
 * layers hold no task state of their own.
 *
 * <p>Special ids: {@link #MEAN_TASK} (unknown or absent task: use the mean task embedding) and
 * {@link #NO_TASK} (drop the task term entirely).
 */
public record ForwardContext(int[] taskIds, boolean training, AuxLosses aux, Recompute recompute, NDArray tokenMask) {
    public static final int MEAN_TASK = -1;
    public static final int NO_TASK = -2;

    public ForwardContext {
        taskIds = taskIds == null ? null : taskIds.clone();
    }

    /** A context without a token mask: every position is a token. */
    public ForwardContext(int[] taskIds, boolean training, AuxLosses aux, Recompute recompute) {
        this(taskIds, training, aux, recompute, null);
    }

    /**
     * This context with the batch's token mask [B, S] (1 = token, 0 = padding), which routers read so that padding
     * positions count neither in their load-balance losses nor in what an analysis records; attention has its own.
     */
    public ForwardContext withTokenMask(NDArray mask) {
        return new ForwardContext(taskIds, training, aux, recompute, mask);
    }

    /** A context with a fresh auxiliary-loss collector when training. */
    public ForwardContext(int[] taskIds, boolean training) {
        this(taskIds, training, training ? new AuxLosses() : null, null);
    }

    /** A training context whose layers are recomputed in the backward pass (null: kept, as usual). */
    public static ForwardContext training(int[] taskIds, Recompute recompute) {
        AuxLosses aux = new AuxLosses();
        if (recompute != null) {
            recompute.collect(aux);
        }
        return new ForwardContext(taskIds, true, aux, recompute);
    }

    /** No task information: every sample uses the mean task embedding. */
    public static ForwardContext inference() {
        return new ForwardContext(null, false);
    }

    public static ForwardContext tasks(boolean training, int... ids) {
        return new ForwardContext(ids, training);
    }

    /** The context of sample {@code i} alone (for running a batch one sample at a time). */
    public ForwardContext sample(int i) {
        NDArray mask = tokenMask == null ? null : tokenMask.get(i).expandDims(0);
        return (taskIds == null || taskIds.length == 1) && mask == null ? this
                : new ForwardContext(taskIds == null || taskIds.length == 1 ? taskIds : new int[] {taskIds[i]}, training, aux, recompute, mask);
    }

    /** Adds an auxiliary loss term (scalar) when training; ignored at inference. */
    public void addAuxLoss(NDArray term) {
        if (aux != null && !aux.paused) {
            NDScope.unregister(term); // outlives the layer that made it (Ops.layer)
            aux.terms.add(term);
        }
    }

    /** Task id of each of {@code batch} samples ({@link #MEAN_TASK} where none was given; a single id applies to all). */
    public int[] taskIdsFor(int batch) {
        if (taskIds == null) {
            int[] ids = new int[batch];
            Arrays.fill(ids, MEAN_TASK);
            return ids;
        }
        if (taskIds.length == 1 && batch != 1) { // one id for the whole batch
            int[] ids = new int[batch];
            Arrays.fill(ids, taskIds[0]);
            return ids;
        }
        if (taskIds.length != batch) {
            throw new IllegalArgumentException("batch has " + batch + " samples but " + taskIds.length + " task ids");
        }
        return taskIds.clone();
    }

    /** Auxiliary loss terms left by layers during one training forward (e.g. router load balance). */
    public static final class AuxLosses {
        private final List<NDArray> terms = new ArrayList<>();
        boolean paused; // Recompute's first pass: a layer's terms are made again, with their gradient, when it is recomputed

        /** Removes and returns the terms added since there were {@code size}. */
        List<NDArray> takeFrom(int size) {
            List<NDArray> out = new ArrayList<>(terms.subList(size, terms.size()));
            terms.subList(size, terms.size()).clear();
            return out;
        }

        /** Adds the collected terms to {@code loss}; returns {@code loss} itself when there are none. */
        public NDArray addTo(NDArray loss) {
            NDArray out = loss;
            for (NDArray t : terms) {
                out = out.add(t.toType(loss.getDataType(), false));
            }
            return out;
        }

        public int size() {
            return terms.size();
        }
    }
}
