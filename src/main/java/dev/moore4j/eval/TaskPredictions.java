package dev.moore4j.eval;

import dev.moore4j.MooreException;

/**
 * One task's evaluation outputs in evaluation order (the gold and the predicted label, or value for a regression
 * task) and its headline metric, kept so that two runs scored on the same examples can be compared example by
 * example ({@code harness.PairedBootstrap}). Labels are stored as doubles to keep one shape for every kind.
 */
public record TaskPredictions(String metric, double[] gold, double[] pred) {
    public TaskPredictions {
        if (gold.length != pred.length) {
            throw new MooreException("predictions of a '" + metric + "' task: " + gold.length + " gold values but " + pred.length + " predictions");
        }
        score(metric, new double[0], new double[0]); // an unknown metric fails here, not in the middle of a bootstrap
    }

    public int size() {
        return gold.length;
    }

    /** The metric over all examples. */
    public double score() {
        return score(metric, gold, pred);
    }

    /** The metric over the examples at {@code rows} (a bootstrap resample: indices may repeat). */
    public double score(int[] rows) {
        double[] g = new double[rows.length];
        double[] p = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            g[i] = gold[rows[i]];
            p[i] = pred[rows[i]];
        }
        return score(metric, g, p);
    }

    static double score(String metric, double[] gold, double[] pred) {
        return switch (metric) {
            case "accuracy" -> Metrics.accuracy(ints(pred), ints(gold));
            case "mcc" -> Metrics.mcc(ints(pred), ints(gold));
            case "f1" -> Metrics.f1(ints(pred), ints(gold));
            case "spearman" -> Metrics.spearman(pred, gold);
            case "pearson" -> Metrics.pearson(pred, gold);
            default -> throw new MooreException("no metric '" + metric + "' (accuracy, mcc, f1, spearman, pearson)");
        };
    }

    private static int[] ints(double[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }
}
