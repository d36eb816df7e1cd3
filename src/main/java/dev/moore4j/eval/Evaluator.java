package dev.moore4j.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.moore4j.MooreException;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.util.Progress;

import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores a task model on evaluation sets: batches sorted by length, one progress bar, metrics per task. */
public final class Evaluator {
    private Evaluator() {}

    /** Predictions for examples in their given order. */
    public static List<TaskModel.Prediction> predict(TaskModel model, List<Example> examples, EvalBatches batches, TaskModel.Routing routing, NDManager parent,
                                                     String label) {
        Integer[] order = new Integer[examples.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> model.tokens(examples.get(i))));
        model.adapter().fold(); // merged / folded weights where the method allows: same outputs, less work
        TaskModel.Prediction[] out = new TaskModel.Prediction[examples.size()];
        try (ProgressBar bar = Progress.bar(label, examples.size())) {
            int to;
            for (int from = 0; from < order.length; from = to) {
                List<Example> batch = new ArrayList<>();
                long tokens = 0;
                to = from;
                while (to < order.length && to - from < batches.examples() && (to == from || tokens + model.tokens(examples.get(order[to])) <= batches.tokens())) {
                    tokens += model.tokens(examples.get(order[to]));
                    batch.add(examples.get(order[to]));
                    to++;
                }
                try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
                    List<TaskModel.Prediction> p = model.predict(batch, m, routing);
                    for (int i = from; i < to; i++) {
                        out[order[i]] = p.get(i - from);
                    }
                }
                bar.stepBy(to - from);
            }
        }
        return List.of(out);
    }

    /** A report and the per-example outputs behind it, task by task. */
    public record Evaluation(EvalReport report, Map<String, TaskPredictions> predictions) {}

    public static EvalReport evaluate(TaskModel model, Map<String, List<Example>> sets, EvalBatches batches, TaskModel.Routing routing, NDManager m,
                                      String label) {
        return evaluateKeeping(model, sets, batches, routing, m, label).report();
    }

    /** As {@link #evaluate}, keeping each example's gold and predicted label (or value). */
    public static Evaluation evaluateKeeping(TaskModel model, Map<String, List<Example>> sets, EvalBatches batches, TaskModel.Routing routing, NDManager m,
                                             String label) {
        List<Example> all = new ArrayList<>();
        sets.values().forEach(all::addAll);
        long t0 = System.nanoTime();
        List<TaskModel.Prediction> preds = predict(model, all, batches, routing, m, label);
        double msPerExample = all.isEmpty() ? 0 : (System.nanoTime() - t0) / 1e6 / all.size();
        Map<String, Map<String, Double>> tasks = new LinkedHashMap<>();
        Map<String, String> headline = new LinkedHashMap<>();
        Map<String, TaskPredictions> kept = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        double sum = 0;
        int at = 0;
        for (Map.Entry<String, List<Example>> e : sets.entrySet()) {
            List<Example> ex = e.getValue();
            TaskSpec spec = model.tasks().get(model.taskId(e.getKey()));
            Map<String, Double> metrics = metrics(spec, ex, preds.subList(at, at + ex.size()));
            String collapse = collapse(spec, preds.subList(at, at + ex.size()));
            if (collapse != null) {
                warnings.add(collapse);
            }
            kept.put(e.getKey(), kept(spec, ex, preds.subList(at, at + ex.size())));
            at += ex.size();
            tasks.put(e.getKey(), metrics);
            headline.put(e.getKey(), spec.metric());
            sum += metrics.get(spec.metric());
        }
        return new Evaluation(new EvalReport(tasks, headline, sets.isEmpty() ? 0 : sum / sets.size(), msPerExample, warnings), kept);
    }

    private static TaskPredictions kept(TaskSpec spec, List<Example> ex, List<TaskModel.Prediction> p) {
        boolean regression = spec.kind() == TaskKind.REGRESSION;
        double[] gold = new double[ex.size()];
        double[] pred = new double[ex.size()];
        for (int i = 0; i < gold.length; i++) {
            gold[i] = regression ? ex.get(i).target() : ex.get(i).label();
            pred[i] = regression ? p.get(i).value() : p.get(i).predicted();
        }
        return new TaskPredictions(spec.metric(), gold, pred);
    }

    /**
     * A warning when every prediction of a classification task is the same class, or of a multiple-choice task the same
     * answer position (BoolQ's "no" every time), else null: the model collapsed.
     */
    static String collapse(TaskSpec spec, List<TaskModel.Prediction> p) {
        if (spec.kind() == TaskKind.REGRESSION || p.size() < 20) {
            return null;
        }
        int first = p.get(0).predicted();
        for (TaskModel.Prediction x : p) {
            if (x.predicted() != first) {
                return null;
            }
        }
        String what = spec.kind() == TaskKind.CLASSIFICATION ? "'" + spec.labels().get(first) + "'"
                : first < spec.labels().size() ? "'" + spec.labels().get(first) + "' (choice " + first + ")" : "choice " + first;
        return spec.name() + ": all " + p.size() + " predictions are " + what + " (collapsed to one class)";
    }

    static Map<String, Double> metrics(TaskSpec spec, List<Example> ex, List<TaskModel.Prediction> p) {
        Map<String, Double> out = new LinkedHashMap<>();
        int n = ex.size();
        if (spec.kind() == TaskKind.REGRESSION) {
            double[] y = new double[n];
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                y[i] = ex.get(i).target();
                v[i] = p.get(i).value();
            }
            out.put("pearson", Metrics.pearson(v, y));
            out.put("spearman", Metrics.spearman(v, y));
        } else {
            int[] gold = new int[n];
            int[] pred = new int[n];
            for (int i = 0; i < n; i++) {
                gold[i] = ex.get(i).label();
                pred[i] = p.get(i).predicted();
            }
            out.put("accuracy", Metrics.accuracy(pred, gold));
            boolean binary = spec.kind() == TaskKind.CLASSIFICATION && spec.labels().size() == 2;
            if (binary) {
                out.put("f1", Metrics.f1(pred, gold));
                out.put("mcc", Metrics.mcc(pred, gold));
            }
        }
        out.put("n", (double) n);
        if (!out.containsKey(spec.metric())) {
            throw new MooreException("task '" + spec.name() + "': metric '" + spec.metric() + "' does not apply to its kind");
        }
        return out;
    }

    /**
     * Oblivion check for encoders (METHODS §4): Spearman between the STS-B gold scores and the cosine of
     * the two sentences' mean-pooled embeddings, under task-free routing.
     */
    public static double stsbZeroShot(TaskModel model, List<Example> pairs, EvalBatches batches, NDManager parent) {
        // longest pairs first, so batches hold similar lengths (less padding); the metric does not depend on order
        pairs = new ArrayList<>(pairs);
        pairs.sort(Comparator.comparingInt((Example e) -> e.text().length() + e.pair().length()).reversed());
        double[] cos = new double[pairs.size()];
        double[] gold = new double[pairs.size()];
        try (ProgressBar bar = Progress.bar("sts-b zero-shot", pairs.size())) {
            int to;
            for (int from = 0; from < pairs.size(); from = to) {
                // a pair's two sentences hold about the tokens of the pair as one sequence; the first of a batch is its longest
                int padded = 2 * model.tokens(pairs.get(from));
                to = from + 1;
                while (to < pairs.size() && to - from < batches.examples() && (to - from + 1) * padded <= batches.tokens()) {
                    to++;
                }
                List<String> texts = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    texts.add(pairs.get(i).text());
                    texts.add(pairs.get(i).pair());
                }
                try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
                    float[][] e = model.embed(texts, ForwardContext.inference(), m);
                    for (int i = from; i < to; i++) {
                        float[] a = e[2 * (i - from)];
                        float[] b = e[2 * (i - from) + 1];
                        double dot = 0;
                        for (int k = 0; k < a.length; k++) {
                            dot += a[k] * b[k];
                        }
                        cos[i] = dot;
                        gold[i] = pairs.get(i).target();
                    }
                }
                bar.stepBy(to - from);
            }
        }
        return Metrics.spearman(cos, gold);
    }
}
