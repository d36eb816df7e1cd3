package dev.moore4j.train;

import dev.moore4j.eval.EvalReport;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A run that diverges or collapses says so in its summary. */
class WarningsTest {
    static Trainer.Summary summary(double first, double last, List<String> evalWarnings) {
        EvalReport r = new EvalReport(Map.of(), Map.of(), 0.5, 1.0, evalWarnings);
        return new Trainer.Summary(10, 10, true, 1, 10, 100, first, last, r, r, 10);
    }

    @Test
    void risingLossAndCollapsedTasksAreReported() {
        var ok = Run.warnings(summary(0.7, 0.4, List.of()), false);
        assertThat(ok).isEmpty();
        var rising = Run.warnings(summary(0.66, 0.71, List.of()), false);
        assertThat(rising.get(0)).contains("rose from 0.6600").contains("0.7100");
        var collapsed = Run.warnings(summary(0.7, 0.4, List.of("sst2: all 872 predictions are 'positive' (collapsed to one class)")), false);
        assertThat(collapsed.get(0)).contains("collapsed to one class");
        assertThat(Run.warnings(summary(0.7, Double.POSITIVE_INFINITY, List.of()), false).get(0)).contains("not finite");
        // steps 7 and 8 were skipped as non-finite and no later step had a finite loss
        assertThat(Run.warnings(summary(0.7, Double.NaN, List.of()), true).get(0)).contains("not finite");
        // resumed at its last step: this process took no step, which is no divergence
        assertThat(Run.warnings(summary(Double.NaN, Double.NaN, List.of()), false)).isEmpty();
    }
}
