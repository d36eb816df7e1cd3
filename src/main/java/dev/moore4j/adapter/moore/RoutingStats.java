package dev.moore4j.adapter.moore;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one MoORE layer's router does, accumulated per label (a task, or "task-free") over the tokens it sees:
 * the adjusted spectrum w / s with w = ReLU(s + task part + sample part), the share of experts the ReLU switches
 * off, the entropy of the normalised weights, and the sizes of the task-only and sample-only parts relative to s.
 * Experts whose singular value is (numerically) zero are left out of the ratios.
 */
public final class RoutingStats {
    private final double[] s;
    private final boolean[] counted;
    private final Map<String, Acc> byLabel = new LinkedHashMap<>();
    private String label = "unlabelled";

    /** Sums for one label. */
    static final class Acc {
        long tokens;
        long cells;          // token × counted expert
        double ratio;        // Σ w/s
        double ratioSq;      // Σ (w/s)²
        long off;            // w = 0
        double entropy;      // Σ over tokens of the normalised entropy of w
        double taskPartSq;   // Σ over rows of Σ (task part / s)²
        long taskRows;
        double samplePartSq; // Σ over tokens of Σ (sample part / s)²
        double[] adjustment; // Σ over tokens of (w − s) / s, per expert

        Acc(int k) {
            adjustment = new double[k];
        }
    }

    public RoutingStats(float[] singularValues) {
        int k = singularValues.length;
        this.s = new double[k];
        this.counted = new boolean[k];
        double max = 0;
        for (float v : singularValues) {
            max = Math.max(max, v);
        }
        for (int j = 0; j < k; j++) {
            s[j] = singularValues[j];
            counted[j] = singularValues[j] > 1e-6 * max;
        }
    }

    /** What the following forward passes are recorded under. */
    public void label(String label) {
        this.label = label;
    }

    public int experts() {
        return s.length;
    }

    /**
     * One forward pass: {@code w} and {@code sample} are [tokens, k] row-major, {@code task} is [rows, k] with one row
     * per sample (its tokens are the {@code tokens / rows} consecutive rows of {@code w}).
     */
    void add(float[] w, float[] task, float[] sample) {
        int k = s.length;
        int tokens = w.length / k;
        int rows = task.length / k;
        Acc a = byLabel.computeIfAbsent(label, x -> new Acc(k));
        a.tokens += tokens;
        a.taskRows += rows;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                if (counted[j]) {
                    double t = task[r * k + j] / s[j];
                    a.taskPartSq += t * t;
                }
            }
        }
        double logK = Math.log(k);
        for (int t = 0; t < tokens; t++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += w[t * k + j];
            }
            double h = 0;
            for (int j = 0; j < k; j++) {
                double wj = w[t * k + j];
                if (wj > 0 && sum > 0) {
                    double p = wj / sum;
                    h -= p * Math.log(p);
                }
                if (!counted[j]) {
                    continue;
                }
                double ratio = wj / s[j];
                double sp = sample[t * k + j] / s[j];
                a.cells++;
                a.ratio += ratio;
                a.ratioSq += ratio * ratio;
                a.off += wj <= 0 ? 1 : 0;
                a.samplePartSq += sp * sp;
                a.adjustment[j] += ratio - 1;
            }
            a.entropy += k > 1 ? h / logK : 0;
        }
    }

    /** The labels seen, in order. */
    public Iterable<String> labels() {
        return byLabel.keySet();
    }

    /** Mean w/s, its standard deviation, the share switched off, the normalised entropy, and the task and sample parts' RMS relative to s. */
    public Map<String, Double> summary(String label) {
        Acc a = byLabel.get(label);
        Map<String, Double> out = new LinkedHashMap<>();
        if (a == null || a.cells == 0) {
            return out;
        }
        double mean = a.ratio / a.cells;
        out.put("w_over_s_mean", mean);
        out.put("w_over_s_std", Math.sqrt(Math.max(0, a.ratioSq / a.cells - mean * mean)));
        out.put("off_share", (double) a.off / a.cells);
        out.put("entropy", a.entropy / a.tokens);
        long countedExperts = a.cells / Math.max(1, a.tokens);
        out.put("task_part_rms", Math.sqrt(a.taskPartSq / Math.max(1, a.taskRows * countedExperts)));
        out.put("sample_part_rms", Math.sqrt(a.samplePartSq / a.cells));
        out.put("tokens", (double) a.tokens);
        return out;
    }

    /** The mean adjustment (w − s)/s per expert under a label (zeros where unseen). */
    public double[] meanAdjustment(String label) {
        Acc a = byLabel.get(label);
        double[] out = new double[s.length];
        if (a != null && a.tokens > 0) {
            for (int j = 0; j < out.length; j++) {
                out[j] = a.adjustment[j] / a.tokens;
            }
        }
        return out;
    }
}
