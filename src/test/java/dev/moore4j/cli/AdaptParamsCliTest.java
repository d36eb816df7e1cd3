package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** The adapt and params contracts: JSON shapes, --set, budgets, errors that name the key, checkpoints eval reads. */
class AdaptParamsCliTest {
    @Test
    void adaptVerifyJson() throws Exception {
        CliTest.Run r = run("adapt", "minilm", "--method", "mixlora", "--set", "experts=4", "--set", "top_k=1", "--verify", "--json", "--threads", TestSupport.THREADS);
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("method").asText()).isEqualTo("mixlora");
        assertThat(j.get("max_rel_diff").asDouble()).isLessThanOrEqualTo(1e-4);
        assertThat(j.get("config").get("experts").asInt()).isEqualTo(4);
        assertThat(j.get("trainable").asLong()).isPositive();
        // 24 attention LoRAs and 6 FFN mixtures
        assertThat(j.get("layers")).hasSize(30);
        assertThat(j.get("layers").get(0).get("max_rel_diff").asDouble()).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void paramsCountsAndBudget() throws Exception {
        CliTest.Run lora = run("params", "minilm", "--method", "lora", "--set", "r=4", "--json", "--threads", TestSupport.THREADS);
        assertThat(lora.code()).as(lora.err()).isZero();
        // r (d_in + d_out) over 36 layers: 24 of 384+384, 6 of 384+1536, 6 of 1536+384
        assertThat(lora.json().get("trainable").asLong()).isEqualTo(4L * (24 * 768 + 12 * 1920));
        assertThat(lora.json().get("heads").asLong()).isEqualTo(3080);
        CliTest.Run budget = run("params", "minilm", "--method", "lora", "--budget", "100000", "--json", "--threads", TestSupport.THREADS);
        assertThat(budget.code()).as(budget.err()).isZero();
        assertThat(budget.json().get("r").asInt()).isEqualTo(2); // 2 × 41,472 = 82,944 is closest to 100,000
        CliTest.Run hra = run("params", "minilm", "--method", "hra", "--budget", "100000", "--json", "--threads", TestSupport.THREADS);
        assertThat(hra.code()).as(hra.err()).isZero();
        int l = hra.json().get("householder").asInt();
        long chosen = Math.abs(hra.json().get("trainable").asLong() - 100_000);
        // the closest of the counts HRA allows (even L): no other even L comes nearer
        for (int other = 2; other <= 12; other += 2) {
            long n = run("params", "minilm", "--method", "hra", "--set", "householder=" + other, "--json", "--threads", TestSupport.THREADS).json().get("trainable").asLong();
            if (other == l) {
                assertThat(Math.abs(n - 100_000)).isEqualTo(chosen);
            }
            assertThat(Math.abs(n - 100_000)).as("householder=" + other + " against the chosen " + l).isGreaterThanOrEqualTo(chosen);
        }
    }

    @Test
    void badHyperparametersFailAtStartNamingTheKey() {
        CliTest.Run unknown = run("adapt", "minilm", "--method", "lora", "--set", "rank=4");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("no key 'rank'");
        CliTest.Run big = run("adapt", "stories260K", "--method", "lora", "--set", "r=100");
        assertThat(big.code()).isEqualTo(2);
        assertThat(big.err()).contains("'r' = 100").contains("min(d_in, d_out)");
        CliTest.Run topk = run("train", "--method", "mola", "--set", "top_k=9", "--tasks", "cola", "--out", "/tmp/never");
        assertThat(topk.code()).isEqualTo(2);
        assertThat(topk.err()).contains("'top_k' = 9");
        CliTest.Run goat = run("adapt", "minilm", "--method", "goat", "--set", "r=12");
        assertThat(goat.err()).contains("'r' = 12 must be divisible by 'experts' = 8");
        CliTest.Run method = run("adapt", "minilm", "--method", "dora");
        assertThat(method.err()).contains("unknown method 'dora'");
    }

    @Test
    void savedFreshAdapterIsReadByEval(@TempDir Path dir) throws Exception {
        CliTest.Run save = run("adapt", "stories260K", "--method", "hydralora", "--tasks", DecoderPipelineCliTest.TASKS, "--save", dir.toString(),
                "--threads", TestSupport.THREADS, "--json");
        assertThat(save.code()).as(save.err()).isZero();
        CliTest.Run eval = run("eval", "--adapter", dir.toString(), "--max-eval", "5", "--json", "--threads", TestSupport.THREADS);
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.json().get("tasks").fieldNames()).toIterable().containsExactly("mood", "pet", "weather");
    }
}
