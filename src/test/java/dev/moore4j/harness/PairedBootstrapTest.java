package dev.moore4j.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.moore4j.MooreException;
import dev.moore4j.eval.Metrics;
import dev.moore4j.eval.TaskPredictions;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

class PairedBootstrapTest {
    /** A binary task of n examples (gold all 1) answered right on exactly the examples where {@code right} says so. */
    private static TaskPredictions answered(String metric, boolean[] right) {
        double[] gold = new double[right.length];
        double[] pred = new double[right.length];
        for (int i = 0; i < right.length; i++) {
            gold[i] = i % 2;
            pred[i] = right[i] ? gold[i] : 1 - gold[i];
        }
        return new TaskPredictions(metric, gold, pred);
    }

    private static boolean[] firstRight(int n, int right) {
        boolean[] r = new boolean[n];
        for (int i = 0; i < right; i++) {
            r[i] = true;
        }
        return r;
    }

    @Test
    void aKnownDifferenceIsMeasuredExactlyAndItsIntervalCoversIt() {
        Map<String, TaskPredictions> a = Map.of("t", answered("accuracy", firstRight(1000, 800)));
        Map<String, TaskPredictions> b = Map.of("t", answered("accuracy", firstRight(1000, 700)));
        PairedBootstrap.Comparison c = PairedBootstrap.compare(List.of(a), List.of(b), 2000, 7);
        assertThat(c.difference()).isCloseTo(0.10, within(1e-12));
        assertThat(c.low()).isLessThanOrEqualTo(0.10).isPositive();
        assertThat(c.high()).isGreaterThanOrEqualTo(0.10);
        assertThat(c.verdict()).isEqualTo(PairedBootstrap.Verdict.BETTER);
        assertThat(PairedBootstrap.compare(List.of(b), List.of(a), 2000, 7).verdict()).isEqualTo(PairedBootstrap.Verdict.WORSE);
    }

    @Test
    void aMethodAgainstItselfIsIndistinguishable() {
        SplittableRandom rnd = new SplittableRandom(3);
        boolean[] r = new boolean[300];
        for (int i = 0; i < r.length; i++) {
            r[i] = rnd.nextDouble() < 0.6;
        }
        Map<String, TaskPredictions> run = Map.of("cola", answered("mcc", r), "sst2", answered("accuracy", r));
        PairedBootstrap.Comparison c = PairedBootstrap.compare(List.of(run, run), List.of(run, run), 1000, 1);
        assertThat(c.difference()).isZero();
        assertThat(c.low()).isZero();
        assertThat(c.high()).isZero();
        assertThat(c.verdict()).isEqualTo(PairedBootstrap.Verdict.INDISTINGUISHABLE);
    }

    /** Runs whose examples are right independently with probability 0.75 and 0.70: the interval covers the true 0.05 about 95 % of the time. */
    @Test
    void intervalsCoverTheTrueDifferenceAtAboutTheirLevel() {
        SplittableRandom rnd = new SplittableRandom(11);
        int trials = 60;
        int covered = 0;
        for (int k = 0; k < trials; k++) {
            boolean[] ra = new boolean[600];
            boolean[] rb = new boolean[600];
            for (int i = 0; i < ra.length; i++) {
                ra[i] = rnd.nextDouble() < 0.75;
                rb[i] = rnd.nextDouble() < 0.70;
            }
            PairedBootstrap.Comparison c = PairedBootstrap.compare(List.of(Map.of("t", answered("accuracy", ra))),
                    List.of(Map.of("t", answered("accuracy", rb))), 400, k);
            covered += c.low() <= 0.05 && 0.05 <= c.high() ? 1 : 0;
        }
        assertThat(covered).as("intervals covering the true difference, of %d", trials).isBetween((int) (0.85 * trials), trials);
    }

    @Test
    void resampledScoresAreTheMetricOverTheDrawnRows() {
        TaskPredictions p = new TaskPredictions("mcc", new double[] {1, 0, 1, 1, 0}, new double[] {1, 0, 0, 1, 1});
        assertThat(p.score(new int[] {0, 1, 2, 3, 4})).isEqualTo(p.score());
        assertThat(p.score(new int[] {0, 0, 1, 2})).isEqualTo(Metrics.mcc(new int[] {1, 1, 0, 0}, new int[] {1, 1, 0, 1}));
    }

    @Test
    void unpairedRunsAreRefusedByName() {
        Map<String, TaskPredictions> a = Map.of("rte", answered("accuracy", firstRight(10, 5)));
        Map<String, TaskPredictions> b = Map.of("rte", answered("accuracy", firstRight(12, 5)));
        assertThatThrownBy(() -> PairedBootstrap.compare(List.of(a), List.of(b), 10, 1)).isInstanceOf(MooreException.class).hasMessageContaining("rte");
        assertThatThrownBy(() -> PairedBootstrap.compare(List.of(a), List.of(), 10, 1)).isInstanceOf(MooreException.class);
        assertThatThrownBy(() -> new TaskPredictions("bleu", new double[1], new double[1])).isInstanceOf(MooreException.class).hasMessageContaining("bleu");
    }
}
