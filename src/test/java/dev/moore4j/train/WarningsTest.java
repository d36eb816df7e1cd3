package dev.moore4j.train;

import dev.moore4j.eval.EvalReport;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A run that diverges or collapses says so in its summary. */
class WarningsTest {
    static Trainer.Summary summary(double first, double last, List<String> evalWarnings) {
        EvalReport r = new EvalReport(Map.of(), 0.5, 1.0, evalWarnings);
        return new Trainer.Summary(10, 10, true, 1, 10, 100, first, last, r, r, 10);
    }

    @Test
    void risingLossAndCollapsedTasksAreReported() {
        var ok = Run.warnings(summary(0.7, 0.4, List.of()), null);
        assertThat(ok).isEmpty();
        var rising = Run.warnings(summary(0.66, 0.71, List.of()), null);
        assertThat(rising.get(0).asText()).contains("rose from 0.6600").contains("0.7100");
        var collapsed = Run.warnings(summary(0.7, 0.4, List.of("sst2: all 872 predictions are 'positive' (collapsed to one class)")), null);
        assertThat(collapsed.get(0).asText()).contains("collapsed to one class");
        assertThat(Run.warnings(summary(0.7, Double.POSITIVE_INFINITY, List.of()), null).get(0).asText()).contains("not finite");
        var skipped = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        skipped.putArray("skipped_steps").add(7).add(8);
        assertThat(Run.warnings(summary(0.7, Double.NaN, List.of()), skipped).get(0).asText()).contains("not finite");
        // resumed at its last step: this process took no step, which is no divergence
        assertThat(Run.warnings(summary(Double.NaN, Double.NaN, List.of()), null)).isEmpty();
    }
}
