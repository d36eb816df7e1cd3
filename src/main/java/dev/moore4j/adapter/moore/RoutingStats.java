package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.model.Ops;

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
     * One forward pass: {@code w} and {@code sample} are [B, ..., k], {@code task} is [B, k] with one row per sample, and
     * {@code tokenMask} (null: all are tokens) holds 1 for a token and 0 for padding at each of w's B·... positions.
     * The sums are taken in libtorch in float64; only k + 7 numbers come back to the host.
     */
    void add(NDArray w, NDArray task, NDArray sample, NDArray tokenMask) {
        int k = s.length;
        Acc a = byLabel.computeIfAbsent(label, x -> new Acc(k));
        try (NDScope scope = new NDScope()) {
            NDManager m = w.getManager();
            NDArray wd = w.toType(DataType.FLOAT64, false).reshape(-1, k);                     // [T, k]
            long positions = wd.getShape().get(0);
            NDArray tok = tokenMask == null ? m.ones(new Shape(positions, 1), DataType.FLOAT64)
                    : tokenMask.toType(DataType.FLOAT64, false).reshape(-1, 1);                   // [T, 1]
            if (tok.getShape().get(0) != positions) {
                throw new IllegalStateException("routing record: " + positions + " positions but a token mask of " + tok.getShape().get(0));
            }
            double[] inv = new double[k];
            double[] cnt = new double[k];
            for (int j = 0; j < k; j++) {
                inv[j] = counted[j] ? 1 / s[j] : 0; // uncounted experts drop out of every ratio below
                cnt[j] = counted[j] ? 1 : 0;
            }
            NDArray invS = m.create(inv);
            NDArray cells = tok.mul(m.create(cnt));                                                   // [T, k]: 1 = a counted cell
            NDArray ratio = wd.mul(invS);                                                             // w / s (0 where uncounted)
            NDArray tokRatio = ratio.mul(tok);
            NDArray sp = sample.toType(DataType.FLOAT64, false).reshape(-1, k).mul(invS);
            NDArray tp = task.toType(DataType.FLOAT64, false).reshape(-1, k).mul(invS);
            // normalised entropy of each token's weights w / Σw (0 · log 0 = 0; a token whose weights are all 0 has none)
            NDArray sum = wd.sum(new int[] {1}, true);
            NDArray p = wd.div(Ops.maximum(sum, 1e-300));
            NDArray h = p.mul(Ops.maximum(p, 1e-300).log()).sum(new int[] {1}, true).neg();
            NDArray entropy = k > 1 ? Ops.div(h, Math.log(k)).mul(tok).sum() : m.zeros(new Shape(), DataType.FLOAT64);
            NDArray scalars = NDArrays.stack(new NDList(tok.sum(), cells.sum(), tokRatio.sum(), tokRatio.mul(ratio).sum(),
                    wd.lte(Ops.scalar(wd, 0)).toType(DataType.FLOAT64, false).mul(cells).sum(), entropy, sp.square().mul(cells).sum(), tp.square().sum()));
            NDArray adjustment = Ops.add(ratio, -1).mul(cells).sum(new int[] {0});                         // Σ_t (w/s − 1), counted cells
            double[] back = scalars.concat(adjustment).toDoubleArray();
            a.tokens += Math.round(back[0]);
            a.cells += Math.round(back[1]);
            a.ratio += back[2];
            a.ratioSq += back[3];
            a.off += Math.round(back[4]);
            a.entropy += back[5];
            a.samplePartSq += back[6];
            a.taskPartSq += back[7];
            a.taskRows += task.getShape().get(0);
            for (int j = 0; j < k; j++) {
                a.adjustment[j] += back[8 + j];
            }
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
