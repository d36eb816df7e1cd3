package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The router statistics, summed in libtorch, against the same sums written out in plain Java over the real tokens only. */
class RoutingStatsTest {
    private static final int B = 3;
    private static final int S = 5;
    private static final int K = 7;

    @Test
    void statisticsMatchADirectComputationAndIgnorePadding() {
        Random r = new Random(11);
        float[] s = new float[K];
        for (int j = 0; j < K; j++) {
            s[j] = 0.5f + r.nextFloat() * 2;
        }
        s[K - 1] = 0; // a numerically zero singular value: left out of every ratio
        float[] task = gauss(r, B * K, 0.3);
        float[] sample = gauss(r, B * S * K, 0.5);
        float[] w = new float[B * S * K];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < S; t++) {
                for (int j = 0; j < K; j++) {
                    int i = (b * S + t) * K + j;
                    w[i] = Math.max(0, s[j] + task[b * K + j] + sample[i]); // ReLU: some experts switched off
                }
            }
        }
        w[(S + 2) * K + 0] = 0;
        int[] lengths = {5, 2, 4};
        float[] mask = new float[B * S];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                mask[b * S + t] = 1;
            }
        }
        RoutingStats stats = new RoutingStats(s);
        stats.label("x");
        try (NDManager m = TestSupport.manager()) {
            stats.add(m.create(w, new Shape(B, S, K)), m.create(task, new Shape(B, K)), m.create(sample, new Shape(B, S, K)),
                    m.create(mask, new Shape(B, S)));
        }
        Reference ref = new Reference(s, w, task, sample, lengths);
        Map<String, Double> got = stats.summary("x");
        assertThat(got.get("tokens")).isEqualTo(11.0); // 5 + 2 + 4, not 15
        assertThat(got.get("w_over_s_mean")).isCloseTo(ref.ratio / ref.cells, within(1e-9));
        double mean = ref.ratio / ref.cells;
        assertThat(got.get("w_over_s_std")).isCloseTo(Math.sqrt(ref.ratioSq / ref.cells - mean * mean), within(1e-9));
        assertThat(got.get("off_share")).isCloseTo((double) ref.off / ref.cells, within(1e-12)).isPositive();
        assertThat(got.get("entropy")).isCloseTo(ref.entropy / ref.tokens, within(1e-9));
        assertThat(got.get("task_part_rms")).isCloseTo(Math.sqrt(ref.taskSq / (B * (K - 1))), within(1e-9));
        assertThat(got.get("sample_part_rms")).isCloseTo(Math.sqrt(ref.sampleSq / ref.cells), within(1e-9));
        double[] adj = stats.meanAdjustment("x");
        for (int j = 0; j < K; j++) {
            assertThat(adj[j]).as("expert " + j).isCloseTo(ref.adjustment[j] / ref.tokens, within(1e-9));
        }
        assertThat(adj[K - 1]).isZero();
    }

    /** The sums over real tokens and counted experts, one element at a time. */
    private static final class Reference {
        long tokens;
        long cells;
        long off;
        double ratio;
        double ratioSq;
        double entropy;
        double taskSq;
        double sampleSq;
        final double[] adjustment = new double[K];

        Reference(float[] s, float[] w, float[] task, float[] sample, int[] lengths) {
            for (int b = 0; b < B; b++) {
                for (int j = 0; j < K - 1; j++) {
                    taskSq += Math.pow((double) task[b * K + j] / s[j], 2);
                }
                for (int t = 0; t < lengths[b]; t++) {
                    int row = (b * S + t) * K;
                    tokens++;
                    double sum = 0;
                    for (int j = 0; j < K; j++) {
                        sum += w[row + j];
                    }
                    double h = 0;
                    for (int j = 0; j < K; j++) {
                        double p = (double) w[row + j] / sum;
                        h -= p > 0 ? p * Math.log(p) : 0;
                    }
                    entropy += h / Math.log(K);
                    for (int j = 0; j < K - 1; j++) {
                        double q = (double) w[row + j] / s[j];
                        cells++;
                        ratio += q;
                        ratioSq += q * q;
                        off += w[row + j] <= 0 ? 1 : 0;
                        sampleSq += Math.pow((double) sample[row + j] / s[j], 2);
                        adjustment[j] += q - 1;
                    }
                }
            }
        }
    }

    private static float[] gauss(Random r, int n, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * scale);
        }
        return out;
    }
}
