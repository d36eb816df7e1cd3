package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.TestSupport;
import dev.moore4j.harness.SuiteSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** The demo's JSON contract (on tiny caps) and the report's statistics. */
class DemoAndReportCliTest {
    @Test
    void demoJsonShape(@TempDir Path dir) throws Exception {
        CliTest.Run r = run("demo", "--max-train", "8", "--max-eval", "4", "--max-oblivion", "120", "--out", dir.toString(), "--threads", TestSupport.THREADS, "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        for (String arm : new String[] {"base", "lora", "moore"}) {
            assertThat(j.get(arm).get("tasks").fieldNames()).toIterable().containsExactly("sst2", "arc-e", "obqa", "csqa");
            assertThat(j.get(arm).get("overall").isNumber()).isTrue();
        }
        // the base model's zero-shot STS-B Spearman of all-MiniLM-L6-v2 (mean pooling, cosine) is 0.867 on all 1500 pairs
        assertThat(j.get("oblivion").get("stsb_before").asDouble()).isBetween(0.8, 0.93);
        for (String arm : new String[] {"lora", "moore"}) {
            assertThat(j.get("oblivion").get("stsb_after").get(arm).asDouble()).isBetween(0.5, 1.0);
        }
        assertThat(j.get("warnings").isArray()).isTrue();
        SuiteSpec demo = SuiteSpec.resolve("demo");
        assertThat(j.get("rates").get("base").asDouble()).isEqualTo(demo.rateFor("heads"));
        assertThat(j.get("rates").get("lora").asDouble()).isEqualTo(demo.rateFor("lora"));
        assertThat(j.get("rates").get("moore").asDouble()).isEqualTo(demo.rateFor("moore"));
        for (String arm : new String[] {"lora", "moore"}) {
            assertThat(j.get("gain_over_heads").get(arm).asDouble()).isEqualTo(j.get(arm).get("overall").asDouble() - j.get("base").get("overall").asDouble());
        }
        assertThat(Files.exists(dir.resolve("results.sqlite"))).isTrue();
        // the demo's page: its three arms ranked, and MoORE's routing recorded by the suite and drawn
        String page = Files.readString(dir.resolve("report.html"));
        assertThat(page).contains("data-chart=\"ranking\" data-series=\"").contains("data-chart=\"similarity-moore\"");
        try (var runs = Files.list(dir.resolve("runs"))) {
            assertThat(runs.map(p -> p.getFileName().toString()).sorted().toList()).hasSize(3).allMatch(n -> n.startsWith("main-"));
        }
    }

    @Test
    void demoHelpStatesTheDemoSuitesSizes() throws Exception {
        CliTest.Run r = run("demo", "--help");
        assertThat(r.code()).as(r.err()).isZero();
        SuiteSpec demo = SuiteSpec.get("demo");
        String help = r.out().replaceAll("\\s+", " "); // picocli wraps the descriptions
        assertThat(help).contains("--max-train=<maxTrain> Training examples per task; the steps scale with it (same epochs). Default: the demo suite's ("
                + demo.protocol().maxTrain() + ").");
        assertThat(help).contains("--max-eval=<maxEval> Evaluation examples per task. Default: the demo suite's (" + demo.protocol().maxEval() + ").");
    }

    @Test
    void suiteShowPrintsABuiltInSuiteFileThatReadsBack(@TempDir Path dir) throws Exception {
        CliTest.Run r = run("suite", "--show", "nlu-mtl");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(SuiteSpec.builtInText("nlu-mtl")).contains("grids:");
        Path copy = dir.resolve("mine.yaml");
        Files.writeString(copy, r.out());
        assertThat(SuiteSpec.resolve(copy.toString())).isEqualTo(SuiteSpec.resolve("nlu-mtl"));
        Files.writeString(copy, r.out().replace("batch_size: 16", "batch_sise: 16"));
        CliTest.Run bad = run("suite", copy.toString(), "--out", dir.resolve("o").toString());
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("mine.yaml").contains("protocol.batch_sise");
        // a method entry's own commas do not split --methods
        CliTest.Run entries = run("suite", "nlu-mtl", "--methods", "heads,lora[r=16,alpha=32],moore", "--report", "--out", dir.resolve("none").toString());
        assertThat(entries.err()).doesNotContain("expected NAME").contains("no results database");
        CliTest.Run export = run("suite", "nlu-mtl", "--export", dir.resolve("x.sqlite").toString(), "--out", dir.resolve("none").toString());
        assertThat(export.err()).contains("none").contains("no results database");
        assertThat(dir.resolve("x.sqlite")).doesNotExist();
        CliTest.Run alone = run("suite", "nlu-mtl", "--routing", "moore", "--out", dir.resolve("none").toString());
        assertThat(alone.code()).isNotZero();
        assertThat(alone.err()).contains("--routing").contains("--export");
        CliTest.Run misspelt = run("suite", "nlu-mtl", "--export", dir.resolve("x.sqlite").toString(), "--routing", "mixlroa", "--out", dir.resolve("none").toString());
        assertThat(misspelt.code()).isNotZero();
        assertThat(misspelt.err()).contains("mixlroa");
    }

    @Test
    void reportAveragesSeeds(@TempDir Path dir) throws Exception {
        for (int seed = 1; seed <= 2; seed++) {
            Path run = dir.resolve("moore-s" + seed);
            Files.createDirectories(run);
            double acc = seed == 1 ? 0.80 : 0.90;
            Files.writeString(run.resolve("summary.json"), """
                    {"method": "moore", "model": "minilm", "config": {"maxLength": 64, "batchSize": 8, "epochs": 1, "lr": 3e-4},
                     "examples": {"sst2": {"train": 10, "eval": 5}},
                     "eval": {"tasks": {"sst2": {"accuracy": %s}}, "overall": %s},
                     "oblivion": {"stsb_before": 0.87, "stsb_after": 0.86}, "train_seconds": 10, "trainable_parameters": 100}
                    """.formatted(acc, acc));
        }
        CliTest.Run r = run("report", dir.toString(), "--title", "t", "--command", "scripts/suite.sh x");
        assertThat(r.code()).as(r.err()).isZero();
        // mean 85.0, sample std of {80, 90} = 7.07
        assertThat(r.out()).contains("| sst2 (accuracy) | 85.0 ± 7.1 |").contains("| **overall** | 85.0 ± 7.1 |")
                .contains("Reproduce: `scripts/suite.sh x`");
        CliTest.Run empty = run("report", dir.resolve("moore-s1").toString());
        assertThat(empty.code()).isEqualTo(2);
        assertThat(empty.err()).contains("no run directories with summary.json");
    }
}
