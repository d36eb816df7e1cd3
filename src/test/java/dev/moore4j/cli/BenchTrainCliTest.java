package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;

import java.util.Iterator;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/** {@code bench train}: its report is consistent with itself (no figure is checked against a clock). */
class BenchTrainCliTest {
    @Test
    void reportsThroughputAndAMemoryAccountThatAddsUp() throws Exception {
        for (String[] c : new String[][] {{"stories260K", "lora"}, {"minilm", "heads"}}) {
            CliTest.Run r = run("bench", "train", "--model", c[0], "--method", c[1], "--batch", "4", "--length", "24", "--tasks", "2", "--steps", "3",
                    "--warmup", "1", "--threads", TestSupport.THREADS, "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode j = r.json();
            assertThat(j.get("examples_per_second").asDouble()).isPositive();
            assertThat(j.get("step_ms_median").asDouble()).isPositive();
            assertThat(j.get("fraction_of_roofline").asDouble()).isPositive();
            long trainable = j.get("trainable_parameters").asLong();
            JsonNode mem = j.get("memory_mb");
            // the parts that follow from the parameter count, exactly
            assertThat(mem.get("trainable").asDouble()).isCloseTo(4 * trainable / 1e6, offset(1e-9));
            assertThat(mem.get("optimizer").asDouble()).isCloseTo(2 * mem.get("trainable").asDouble(), offset(1e-9));
            assertThat(mem.get("base_weights").asDouble()).isPositive();
            assertThat(mem.get("frozen").asDouble()).isPositive();
            // heap, frozen tensors, trainable tensors and the rest are what was resident before the first step: never above the peak
            double before = mem.get("jvm_heap").asDouble() + mem.get("frozen").asDouble() + mem.get("trainable").asDouble() + mem.get("other").asDouble();
            assertThat(before).isLessThanOrEqualTo(j.get("peak_rss_mb").asDouble() + 1e-6);
            // --help names every field the report has
            String help = run("bench", "train", "--help").out().replaceAll("\\s+", " ");
            for (Iterator<String> it = j.fieldNames(); it.hasNext(); ) {
                assertThat(help).contains(it.next());
            }
            for (Iterator<String> it = mem.fieldNames(); it.hasNext(); ) {
                assertThat(help).contains(it.next());
            }
            if (c[1].equals("heads")) {
                assertThat(mem.get("frozen").asDouble()).as("heads only: the whole encoder stays frozen").isCloseTo(mem.get("base_weights").asDouble(),
                        offset(0.01));
            }
        }
        CliTest.Run embed = run("bench", "embed", "--batch", "3", "--iters", "2", "--warmup", "1", "--threads", TestSupport.THREADS, "--json");
        assertThat(embed.code()).as(embed.err()).isZero();
        assertThat(embed.json().get("sentences_per_second").asDouble()).isPositive();
        assertThat(embed.json().get("peak_rss_mb").asDouble()).isGreaterThanOrEqualTo(embed.json().get("rss_mb").asDouble());
        String embedHelp = run("bench", "embed", "--help").out().replaceAll("\\s+", " ");
        for (Iterator<String> it = embed.json().fieldNames(); it.hasNext(); ) {
            assertThat(embedHelp).contains(it.next());
        }
        assertThat(run("bench", "embed", "--model", "stories260K").err()).contains("not an encoder");
        CliTest.Run bad = run("bench", "train", "--model", "stories260K", "--method", "lora", "--batch", "0");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--batch");
    }
}
