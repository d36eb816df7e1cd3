package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.TestSupport;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The encoder pipeline through the CLI on MiniLM with tiny caps: exact resume, eval / predict
 * contracts, and the bad-input errors of train and eval.
 */
class PipelineCliTest {
    @TempDir
    static Path dir;

    /** The pipeline's claims need no real model's figures: MiniLM's first two blocks (its tokenizer and real weights). */
    static final String MODEL = TestSupport.minilmTwoLayers();

    static final String[] TINY = {"--model", MODEL, "--tasks", "cola,stsb,arc-e", "--max-train", "12", "--max-eval", "10",
            "--batch-size", "6", "--max-steps", "6", "--eval-every", "3", "--max-length", "32", "--lr", "3e-3", "--seed", "5",
            "--no-oblivion", "--threads", TestSupport.THREADS, "--json"};

    static CliTest.Run uninterrupted;

    static String[] tiny(String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(List.of(TINY));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @BeforeAll
    static void trainOnce() {
        uninterrupted = run(tiny("--out", dir.resolve("a").toString()));
        assertThat(uninterrupted.code()).as(uninterrupted.err()).isZero();
    }

    @Test
    void resumedRunEndsIdentical() throws Exception {
        CliTest.Run stopped = run(tiny("--out", dir.resolve("b").toString(), "--stop-after", "4"));
        assertThat(stopped.code()).as(stopped.err()).isZero();
        assertThat(stopped.json().get("finished").asBoolean()).isFalse();
        assertThat(stopped.json().get("steps").asInt()).isEqualTo(4);
        CliTest.Run resumed = run(tiny("--out", dir.resolve("b").toString(), "--resume"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming");
        JsonNode a = uninterrupted.json();
        JsonNode b = resumed.json();
        for (String which : new String[] {"eval", "best"}) { // metrics identical (timings are not)
            assertThat(b.get(which).get("tasks")).isEqualTo(a.get(which).get("tasks"));
            assertThat(b.get(which).get("overall")).isEqualTo(a.get(which).get("overall"));
        }
        assertThat(Files.readAllBytes(dir.resolve("b/last/adapter.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("a/last/adapter.safetensors")));
        // and training did something: every tensor that starts at zero (MoORE's task and sample router output
        // maps, the head biases) has moved
        Map<String, HostTensor> trained = Safetensors.readAll(dir.resolve("a/last/adapter.safetensors"));
        List<String> zeroAtInit = trained.keySet().stream()
                .filter(k -> k.endsWith(".moe_gate.task_linear") || k.endsWith(".moe_gate.up.weight") || (k.startsWith("heads.") && k.endsWith(".bias")))
                .toList();
        assertThat(zeroAtInit).hasSizeGreaterThan(3);
        for (String k : zeroAtInit) {
            float[] v = trained.get(k).data();
            assertThat(IntStream.range(0, v.length).anyMatch(i -> v[i] != 0)).as(k + " moved from its zero initialisation").isTrue();
        }
    }

    /** Dropout draws from a per-step seed, so a LoRA-mixture run with dropout resumes bit-identically too. */
    @Test
    void resumedRunWithDropoutEndsIdentical() throws Exception {
        String[] method = {"--method", "mosld", "--set", "dropout=0.1", "--set", "a_dropout=0.2", "--max-steps", "4", "--eval-every", "0"};
        CliTest.Run full = run(tiny(concat(method, "--out", dir.resolve("d1").toString())));
        assertThat(full.code()).as(full.err()).isZero();
        CliTest.Run stopped = run(tiny(concat(method, "--out", dir.resolve("d2").toString(), "--stop-after", "2")));
        assertThat(stopped.code()).as(stopped.err()).isZero();
        CliTest.Run resumed = run(tiny(concat(method, "--out", dir.resolve("d2").toString(), "--resume")));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("d2/last/adapter.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("d1/last/adapter.safetensors")));
        // and dropout is live: the same run without it ends elsewhere
        CliTest.Run plain = run(tiny("--method", "mosld", "--set", "dropout=0", "--set", "a_dropout=0", "--max-steps", "4", "--eval-every", "0",
                "--out", dir.resolve("d3").toString()));
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("d3/last/adapter.safetensors")))
                .isNotEqualTo(Files.readAllBytes(dir.resolve("d1/last/adapter.safetensors")));
    }

    static String[] concat(String[] a, String... b) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(b));
        return out.toArray(String[]::new);
    }

    @Test
    void checkpointRecordsTasksAndBase() throws Exception {
        JsonNode c = new ObjectMapper().readTree(dir.resolve("a/best/adapter_config.json").toFile());
        assertThat(c.get("method").asText()).isEqualTo("moore");
        assertThat(c.get("base_model").asText()).isEqualTo(MODEL);
        assertThat(c.get("base_hash").asText()).isNotBlank();
        assertThat(c.get("tasks").get(1).get("name").asText()).isEqualTo("stsb");
        assertThat(c.get("tasks").get(1).get("id").asInt()).isEqualTo(1);
        assertThat(c.get("heads").toString()).contains("heads.arc-e.weight");
        assertThat(c.get("adapter").get("householder").asInt()).isEqualTo(8);
        assertThat(c.get("train").get("adapter").get("task_embedding_dim").asInt()).isEqualTo(64);
        assertThat(c.get("trainable_parameters").asLong()).isPositive();
        assertThat(Files.exists(dir.resolve("a/last/optimizer.safetensors"))).isTrue();
        assertThat(Files.exists(dir.resolve("a/best/optimizer.safetensors"))).isFalse();
    }

    @Test
    void evalReloadsTheCheckpoint() throws Exception {
        CliTest.Run r = run("eval", "--adapter", dir.resolve("a/last").toString(), "--json", "--threads", TestSupport.THREADS);
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("tasks").fieldNames()).toIterable().containsExactly("cola", "stsb", "arc-e");
        assertThat(j.get("tasks").get("cola").has("mcc")).isTrue();
        assertThat(j.get("tasks").get("stsb").has("spearman")).isTrue();
        // same numbers as the end of training: the adapter and heads were saved and reloaded exactly
        assertThat(j.get("overall").asDouble()).isEqualTo(uninterrupted.json().get("eval").get("overall").asDouble());
        CliTest.Run free = run("eval", "--adapter", dir.resolve("a/last").toString(), "--tasks", "arc-e", "--task-free", "--json", "--threads", TestSupport.THREADS);
        assertThat(free.code()).as(free.err()).isZero();
        assertThat(free.json().get("tasks").size()).isEqualTo(1);
    }

    @Test
    void predictGivesLabelsValuesAndChoices() throws Exception {
        String adapter = dir.resolve("a/best").toString();
        CliTest.Run cls = run("predict", "--adapter", adapter, "--task", "cola", "The cat sat on the mat.", "Cat the mat on sat.", "--json");
        assertThat(cls.code()).as(cls.err()).isZero();
        JsonNode p = cls.json().get("predictions");
        assertThat(p).hasSize(2);
        assertThat(p.get(0).get("label").asText()).isIn("acceptable", "unacceptable");
        double sum = p.get(0).get("probabilities").get("acceptable").asDouble() + p.get(0).get("probabilities").get("unacceptable").asDouble();
        assertThat(sum).isBetween(0.999, 1.001);
        CliTest.Run reg = run("predict", "--adapter", adapter, "--task", "stsb", "A man plays a guitar.", "--pair", "A man is playing music.", "--json");
        assertThat(reg.json().get("predictions").get(0).get("value").isNumber()).isTrue();
        CliTest.Run mc = run("predict", "--adapter", adapter, "--task", "arc-e", "Which is a liquid?", "--choices", "water|rock|wood", "--json");
        assertThat(mc.json().get("predictions").get(0).get("choice").asText()).isIn("water", "rock", "wood");
        CliTest.Run bad = run("predict", "--adapter", adapter, "--task", "arc-e", "Which is a liquid?");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--choices: task 'arc-e' is multiple choice: give at least two choices");
    }

    @Test
    void adapterForDifferentBaseIsRefused() {
        CliTest.Run r = run("eval", "--adapter", dir.resolve("a/best").toString(), "--model", "bge-small", "--threads", TestSupport.THREADS);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("adapter was trained on base model " + MODEL).contains("bge-small has weights").doesNotContain("Exception");
    }

    @Test
    void unknownTaskAndMissingData() {
        CliTest.Run unknown = run("train", "--tasks", "cola,colaa", "--out", dir.resolve("x").toString());
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown task 'colaa'").contains("known: cola, sst2");
        CliTest.Run missing = run("train", "--tasks", "cola", "--data", dir.resolve("nodata").toString(), "--out", dir.resolve("y").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains(dir.resolve("nodata/glue/cola/train.tsv").toString()).contains("not found");
        CliTest.Run again = run(tiny("--out", dir.resolve("a").toString()));
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a run").contains("--resume");
        CliTest.Run notAdapter = run("eval", "--adapter", dir.toString());
        assertThat(notAdapter.code()).isEqualTo(2);
        assertThat(notAdapter.err()).contains("not an adapter directory");
    }

    @Test
    void divergenceStopsWithClearMessageAndKeepsLastGoodCheckpoint() throws Exception {
        Path out = dir.resolve("nan");
        CliTest.Run r = run(tiny("--out", out.toString(), "--lr", "1e30", "--head-lr", "1e30", "--clip-norm", "0", "--eval-every", "1",
                "--max-skipped-steps", "1"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("update skipped (1 of at most 1)")
                .containsPattern("error: step \\d+: (loss|gradient norm).* is (NaN|infinite)").contains("Last good checkpoint");
        try (var s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("nan-step-")).count()).isEqualTo(2);
        }
        JsonNode state = new ObjectMapper().readTree(out.resolve("last/trainer_state.json").toFile());
        assertThat(state.get("step").asInt()).isGreaterThanOrEqualTo(1);
    }
}
