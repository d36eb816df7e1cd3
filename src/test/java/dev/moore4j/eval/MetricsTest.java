package dev.moore4j.eval;

import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.TaskRegistry;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Metrics against values worked out by hand. */
class MetricsTest {
    @Test
    void classification() {
        int[] gold = {1, 1, 1, 0, 0, 0, 1, 0};
        int[] pred = {1, 1, 0, 0, 0, 1, 1, 0}; // tp 3, fn 1, fp 1, tn 3
        assertThat(Metrics.accuracy(pred, gold)).isEqualTo(0.75);
        assertThat(Metrics.f1(pred, gold)).isCloseTo(0.75, within(1e-12));
        assertThat(Metrics.mcc(pred, gold)).isCloseTo((9.0 - 1.0) / 16.0, within(1e-12));
        assertThat(Metrics.mcc(new int[] {1, 1, 1}, new int[] {1, 0, 1})).isZero(); // constant prediction: 0, not NaN
    }

    @Test
    void correlations() {
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {2, 4, 6, 8, 11};
        assertThat(Metrics.spearman(x, y)).isCloseTo(1.0, within(1e-12));
        assertThat(Metrics.pearson(x, new double[] {5, 4, 3, 2, 1})).isCloseTo(-1.0, within(1e-12));
        // ties get their mean rank: ranks of {1, 2, 2, 3} are {1, 2.5, 2.5, 4}
        assertThat(Metrics.ranks(new double[] {1, 2, 2, 3})).containsExactly(1, 2.5, 2.5, 4);
        // hand-computed: x ranks {1,2,3,4}, y = {10, 30, 20, 40} ranks {1,3,2,4}: rho = 1 - 6*2/(4*15) = 0.8
        assertThat(Metrics.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 30, 20, 40})).isCloseTo(0.8, within(1e-12));
    }

    @Test
    void collapseToOneClassIsNamed() {
        var spec = TaskRegistry.resolve("sst2");
        List<TaskModel.Prediction> same = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            same.add(new TaskModel.Prediction(1, Double.NaN, new double[] {0.2, 0.8}));
        }
        assertThat(Evaluator.collapse(spec, same)).contains("sst2: all 30 predictions are").contains("collapsed to one class");
        same.set(3, new TaskModel.Prediction(0, Double.NaN, new double[] {0.8, 0.2}));
        assertThat(Evaluator.collapse(spec, same)).isNull();
        // a multiple-choice task answering the same position every time (BoolQ's first choice) is a collapse too
        var boolq = TaskRegistry.resolve("boolq");
        List<TaskModel.Prediction> first = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            first.add(new TaskModel.Prediction(0, Double.NaN, new double[] {0.6, 0.4}));
        }
        assertThat(Evaluator.collapse(boolq, first)).contains("boolq: all 30 predictions are").contains("choice 0").contains("collapsed to one class");
        first.set(7, new TaskModel.Prediction(1, Double.NaN, new double[] {0.4, 0.6}));
        assertThat(Evaluator.collapse(boolq, first)).isNull();
    }
}
