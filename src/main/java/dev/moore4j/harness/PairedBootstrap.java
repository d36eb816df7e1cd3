package dev.moore4j.harness;

import dev.moore4j.MooreException;
import dev.moore4j.eval.TaskPredictions;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Is method A's overall score different from method B's? Both were trained with the same seeds and scored on
 * the same evaluation examples, so the comparison is paired: each bootstrap replicate draws seeds with
 * replacement and, per task, evaluation examples with replacement, applies the same draw to both methods,
 * recomputes each task's metric (MCC, accuracy, Spearman…) and the overall mean over tasks, and keeps the mean
 * difference A − B. The interval is the 2.5th to 97.5th percentile of the replicates; a difference whose
 * interval excludes zero is called better or worse, otherwise indistinguishable.
 */
public final class PairedBootstrap {
    public static final int RESAMPLES = 2000;

    private PairedBootstrap() {}

    public enum Verdict { BETTER, WORSE, INDISTINGUISHABLE }

    /** The observed mean difference in overall score (A − B) and its 95 % interval. */
    public record Comparison(double difference, double low, double high, int seeds, Verdict verdict) {}

    /**
     * Compares per-seed predictions, paired by position: {@code a.get(i)} and {@code b.get(i)} come from the same
     * seed and hold the same tasks over the same examples in the same order.
     */
    public static Comparison compare(List<Map<String, TaskPredictions>> a, List<Map<String, TaskPredictions>> b, int resamples, long seed) {
        if (a.isEmpty() || b == null || a.size() != b.size()) {
            throw new MooreException("paired comparison: " + a.size() + " and " + (b == null ? 0 : b.size()) + " seeds; both methods need the same seeds");
        }
        return bootstrap(a, b, resamples, seed);
    }

    /**
     * One method's own overall score over its seeds with a 95 % interval from the same resampling (seeds, then
     * evaluation examples per task); the verdict compares it with zero and means nothing here.
     */
    public static Comparison interval(List<Map<String, TaskPredictions>> a, int resamples, long seed) {
        if (a.isEmpty()) {
            throw new MooreException("bootstrap interval: no runs with stored predictions");
        }
        return bootstrap(a, null, resamples, seed);
    }

    /** The resampling behind both: A − B, or A alone when {@code b} is null. */
    private static Comparison bootstrap(List<Map<String, TaskPredictions>> a, List<Map<String, TaskPredictions>> b, int resamples, long seed) {
        List<String> tasks = List.copyOf(a.get(0).keySet());
        int[] sizes = new int[tasks.size()];
        for (int t = 0; t < tasks.size(); t++) {
            String task = tasks.get(t);
            sizes[t] = a.get(0).get(task).size();
            for (int s = 0; s < a.size(); s++) {
                check(a.get(s), task, sizes[t]);
                if (b != null) {
                    check(b.get(s), task, sizes[t]);
                }
            }
        }
        int seeds = a.size();
        double observed = 0;
        for (int s = 0; s < seeds; s++) {
            observed += (overall(a.get(s), tasks, null) - (b == null ? 0 : overall(b.get(s), tasks, null))) / seeds;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] reps = new double[resamples];
        int[][] rows = new int[tasks.size()][];
        for (int r = 0; r < resamples; r++) {
            for (int t = 0; t < rows.length; t++) {
                rows[t] = draw(rnd, sizes[t]);
            }
            double d = 0;
            for (int i = 0; i < seeds; i++) {
                int s = rnd.nextInt(seeds);
                d += (overall(a.get(s), tasks, rows) - (b == null ? 0 : overall(b.get(s), tasks, rows))) / seeds;
            }
            reps[r] = d;
        }
        Arrays.sort(reps);
        double low = reps[(int) Math.floor(0.025 * (resamples - 1))];
        double high = reps[(int) Math.ceil(0.975 * (resamples - 1))];
        Verdict v = low > 0 ? Verdict.BETTER : high < 0 ? Verdict.WORSE : Verdict.INDISTINGUISHABLE;
        return new Comparison(observed, low, high, seeds, v);
    }

    private static void check(Map<String, TaskPredictions> p, String task, int size) {
        TaskPredictions t = p.get(task);
        if (t == null || t.size() != size) {
            throw new MooreException("paired comparison: task '" + task + "' has " + (t == null ? "no" : t.size()) + " predictions in one run and "
                    + size + " in another; the runs were not scored on the same examples");
        }
    }

    private static int[] draw(SplittableRandom rnd, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = rnd.nextInt(n);
        }
        return out;
    }

    /** Mean of the tasks' metrics; {@code rows} (per task) selects a resample, null means every example once. */
    private static double overall(Map<String, TaskPredictions> p, List<String> tasks, int[][] rows) {
        double sum = 0;
        for (int t = 0; t < tasks.size(); t++) {
            TaskPredictions x = p.get(tasks.get(t));
            sum += rows == null ? x.score() : x.score(rows[t]);
        }
        return sum / tasks.size();
    }
}
