package dev.moore4j.report;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.harness.SuiteReport.Stat;

import java.util.ArrayList;
import java.util.List;

/** Training loss over steps, smoothed, mean and band over seeds. */
final class CurvesSection extends PageSection {
    CurvesSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "curves";
    }

    @Override
    String heading() {
        return "Training curves";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        List<Charts.Line> lines = new ArrayList<>();
        int window = 1;
        for (MethodRow m : ranked) {
            List<double[]> losses = new ArrayList<>();
            double[] steps = null;
            for (ResultsDb.Row r : m.runs()) {
                JsonNode c = db.curves(r.id());
                if (c.path("loss").isArray() && c.path("loss").size() > 0) {
                    double[] loss = doubles(c.get("loss"));
                    losses.add(loss);
                    // a published copy (suite --export) leaves out steps that are just 1, 2, …, n
                    double[] at = c.path("step").isArray() ? doubles(c.get("step")) : java.util.stream.IntStream.rangeClosed(1, loss.length).asDoubleStream().toArray();
                    if (steps == null || at.length < steps.length) {
                        steps = at;
                    }
                }
            }
            if (losses.isEmpty()) {
                continue;
            }
            int n = losses.stream().mapToInt(a -> a.length).min().orElse(0);
            n = Math.min(n, steps.length);
            window = Math.max(1, n / 15);
            double[] mean = new double[n];
            double[] lo = new double[n];
            double[] hi = new double[n];
            List<double[]> smooth = losses.stream().map(a -> movingAverage(a, Math.max(1, a.length / 15))).toList();
            for (int i = 0; i < n; i++) {
                List<Double> at = new ArrayList<>();
                for (double[] s : smooth) {
                    at.add(s[i]);
                }
                Stat st = Stat.of(at);
                mean[i] = st.mean();
                lo[i] = st.mean() - st.std();
                hi[i] = st.mean() + st.std();
            }
            lines.add(new Charts.Line(m.method(), java.util.Arrays.copyOf(steps, n), mean, lo, hi));
        }
        if (lines.isEmpty()) {
            note("No training curves were recorded (runs recorded before curves were kept).");
        } else {
            figure(Charts.lines("curves", "Training loss", "optimizer step", false, "training loss (moving average)", lines, false),
                    "Loss per step smoothed by a moving average over about " + window + " steps, mean over seeds; band: ± one standard "
                            + "deviation over seeds.");
        }
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).isNumber() ? a.get(i).asDouble() : Double.NaN;
        }
        return out;
    }

    /** Trailing moving average over {@code w} values, skipping NaN (a skipped step). */
    static double[] movingAverage(double[] v, int w) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double sum = 0;
            int n = 0;
            for (int j = Math.max(0, i - w + 1); j <= i; j++) {
                if (Double.isFinite(v[j])) {
                    sum += v[j];
                    n++;
                }
            }
            out[i] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }
}
