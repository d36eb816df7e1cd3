package dev.moore4j.train;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.util.MemoryBudget;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The memory plan's estimate against the peak a real run measures, and its choices: recompute when keeping the
 * activations would not fit the budget, stop with the options when nothing fits.
 */
class MemoryPlanTest {
    /** MiniLM with LoRA on BoolQ (32 × 2 choices a step): activations are about half of the peak. */
    static List<String> boolq(Path out, String... more) {
        List<String> c = new ArrayList<>(List.of("train", "--model", "minilm", "--method", "lora", "--tasks", "boolq", "--max-train", "64",
                "--max-eval", "8", "--batch-size", "32", "--max-steps", "2", "--no-oblivion", "--threads", "1", "--json", "--out", out.toString()));
        c.addAll(List.of(more));
        return c;
    }

    /** The summary of a whole {@code train} process (the peak is the process's own: a fresh JVM each). */
    static JsonNode run(List<String> args, Path log) throws Exception {
        Process p = TestSupport.mainProcess(args).redirectError(log.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
        return new ObjectMapper().readTree(out);
    }

    @Test
    void theEstimateIsWithinAQuarterOfTheMeasuredPeakAndTheBudgetChoosesRecomputation(@TempDir Path dir) throws Exception {
        JsonNode kept = run(boolq(dir.resolve("kept"), "--memory-budget", "off"), dir.resolve("kept.log"));
        JsonNode plan = kept.get("memory_plan");
        assertThat(plan.get("recompute").asBoolean()).isFalse();
        double keptPeak = plan.get("estimate_kept").get("peak_mb").asDouble();
        double recomputedPeak = plan.get("estimate_recomputed").get("peak_mb").asDouble();
        assertThat(plan.get("estimate_recomputed").get("activations_mb").asDouble()).as("recomputing keeps less")
                .isLessThan(plan.get("estimate_kept").get("activations_mb").asDouble());

        // a budget between the two estimates: the plan recomputes by itself and says why; the config keeps what was asked
        long between = (long) ((keptPeak + recomputedPeak) / 2);
        JsonNode planned = run(boolq(dir.resolve("planned"), "--memory-budget", between + "m"), dir.resolve("planned.log"));
        assertThat(planned.get("memory_plan").get("recompute").asBoolean()).as(planned.get("memory_plan").toString()).isTrue();
        assertThat(planned.get("memory_plan").get("reason").asText()).contains("recomputing layers: keeping their activations would need");
        assertThat(planned.get("config").get("recompute").asBoolean()).isFalse();
        assertThat(Files.readString(dir.resolve("planned.log"))).contains("memory plan: peak about");

        for (JsonNode s : List.of(kept, planned)) {
            double measured = s.get("peak_rss_mb").asDouble();
            JsonNode p = s.get("memory_plan");
            double estimate = p.get("estimate").get("peak_mb").asDouble();
            System.err.printf("memory plan (recompute %s): measured peak %.0f MB, estimated %.0f%n", p.get("recompute"), measured, estimate);
            assertThat(estimate / measured).as("estimate / measured peak: " + p).isCloseTo(1.0, within(0.25));
            assertThat(p.get("estimate").get("activations_mb").asDouble()).as("activations are a real part of it").isGreaterThan(0.15 * estimate);
        }

        // below both: it stops before the first step, with the estimate and what would make it fit
        try (NDManager m = TestSupport.manager()) {
            TrainConfig tiny = TrainConfig.builder().model("minilm").method("lora").tasks(List.of("boolq")).maxTrainExamples(32).maxEvalExamples(8)
                    .batchSize(32).maxSteps(2).oblivion(false).memoryBudget("100m").build();
            assertThatThrownBy(() -> Run.train(tiny, dir.resolve("refused"), new Trainer.Options(false, 0), m))
                    .isInstanceOf(MooreException.class).hasMessageContaining("even recomputing layers").hasMessageContaining("--grad-accum")
                    .hasMessageContaining("--weights-dtype fp16").hasMessageContaining("--memory-budget");
            assertThat(dir.resolve("refused").resolve("last")).as("no checkpoint: it stopped before the first step").doesNotExist();
        }
    }

    @Test
    void budgetsReadAsSizesAndABadOneIsNamed() {
        assertThat(MemoryBudget.parse("12g").bytes()).isEqualTo(12L << 30);
        assertThat(MemoryBudget.parse("800M").bytes()).isEqualTo(800L << 20);
        assertThat(MemoryBudget.parse("1.5GB").bytes()).isEqualTo(3L << 29);
        assertThat(MemoryBudget.parse("off").unlimited()).isTrue();
        MemoryBudget auto = MemoryBudget.parse("auto");
        assertThat(auto.unlimited() || auto.bytes() > 0).isTrue();
        assertThatThrownBy(() -> MemoryBudget.parse("lots")).isInstanceOf(MooreException.class).hasMessageContaining("memoryBudget: 'lots'");
        assertThatThrownBy(() -> TrainConfig.builder().tasks(List.of("sst2")).memoryBudget("-1g").build().validate())
                .hasMessageContaining("memoryBudget: '-1g'");
    }
}
