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

    /** The context of sample {@code i} alone (for running a batch one sample at a time). */
    public ForwardContext sample(int i) {
        return taskIds == null || taskIds.length == 1 ? this : new ForwardContext(new int[] {taskIds[i]}, training);
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
}
