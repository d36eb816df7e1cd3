package dev.moore4j.model;

import java.util.Arrays;

/**
 * What a forward pass needs besides the activations: the task id of every sample in the batch
 * (adapters that route by task read it; the base model ignores it) and whether we are training.
 * Passed explicitly down the call chain, so layers hold no task state of their own.
 *
 * <p>Special ids: {@link #MEAN_TASK} (unknown or absent task: use the mean task embedding) and
 * {@link #NO_TASK} (drop the task term entirely).
 */
public record ForwardContext(int[] taskIds, boolean training) {
    public static final int MEAN_TASK = -1;
    public static final int NO_TASK = -2;

    public ForwardContext {
        taskIds = taskIds == null ? null : taskIds.clone();
    }

    /** No task information: every sample uses the mean task embedding. */
    public static ForwardContext inference() {
        return new ForwardContext(null, false);
    }

    public static ForwardContext tasks(boolean training, int... ids) {
        return new ForwardContext(ids, training);
    }

    /** Task id of each of {@code batch} samples ({@link #MEAN_TASK} where none was given). */
    public int[] taskIdsFor(int batch) {
        if (taskIds == null) {
            int[] ids = new int[batch];
            Arrays.fill(ids, MEAN_TASK);
            return ids;
        }
        if (taskIds.length != batch) {
            throw new IllegalArgumentException("batch has " + batch + " samples but " + taskIds.length + " task ids");
        }
        return taskIds.clone();
    }
}
