package dev.moore4j.eval;

import java.util.Arrays;
import java.util.Comparator;

/** Evaluation metrics of METHODS §4. Degenerate inputs (a constant series) give 0, not NaN. */
public final class Metrics {
    private Metrics() {}

    public static double accuracy(int[] pred, int[] gold) {
        int hit = 0;
        for (int i = 0; i < pred.length; i++) {
            hit += pred[i] == gold[i] ? 1 : 0;
        }
        return pred.length == 0 ? 0 : (double) hit / pred.length;
    }

    /** Matthews correlation of binary predictions (label 1 = positive). */
    public static double mcc(int[] pred, int[] gold) {
        double tp = 0;
        double tn = 0;
        double fp = 0;
        double fn = 0;
        for (int i = 0; i < pred.length; i++) {
            boolean p = pred[i] == 1;
            boolean g = gold[i] == 1;
            if (p && g) {
                tp++;
            } else if (!p && !g) {
                tn++;
            } else if (p) {
                fp++;
            } else {
                fn++;
            }
        }
        double den = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
        return den == 0 ? 0 : (tp * tn - fp * fn) / den;
    }

    /** F1 of the positive class (label 1). */
    public static double f1(int[] pred, int[] gold) {
        double tp = 0;
        double fp = 0;
        double fn = 0;
        for (int i = 0; i < pred.length; i++) {
            if (pred[i] == 1 && gold[i] == 1) {
                tp++;
            } else if (pred[i] == 1) {
                fp++;
            } else if (gold[i] == 1) {
                fn++;
            }
        }
        return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
    }

    public static double pearson(double[] x, double[] y) {
        int n = x.length;
        double mx = Arrays.stream(x).average().orElse(0);
        double my = Arrays.stream(y).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
    }

    /** Spearman's rank correlation: Pearson of the ranks, ties given their mean rank. */
    public static double spearman(double[] x, double[] y) {
        return pearson(ranks(x), ranks(y));
    }

    static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = mean;
            }
            i = j + 1;
        }
        return r;
    }

    /**
     * Entropy of a distribution (shares summing to 1, 0 · log 0 = 0) over the log of its size: 1 when it is uniform,
     * 0 when one entry takes everything. A single entry is balanced by definition: 1.
     */
    public static double normalisedEntropy(double[] p) {
        if (p.length <= 1) {
            return 1;
        }
        double h = 0;
        for (double x : p) {
            h -= x > 0 ? x * Math.log(x) : 0;
        }
        return h / Math.log(p.length);
    }
}
