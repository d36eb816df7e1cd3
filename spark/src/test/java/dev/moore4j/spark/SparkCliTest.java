package dev.moore4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.TestSupport;
import dev.moore4j.api.AdaptedModel;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code moore spark embed} and {@code predict}: JSON Lines through the embedded local mode, against the model, and their errors. */
class SparkCliTest {
    static final Path SAMPLE = Path.of("examples", "spark", "sample.jsonl");

    static TestSupport.CliRun cli(String... args) {
        try {
            return TestSupport.capture(() -> SparkMain.execute(args));
        } finally {
            SparkSession.getActiveSession().foreach(s -> { s.stop(); return null; });
        }
    }

    @Test
    void embedsTheSampleOneObjectPerRowLikeTheModel(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sample.jsonl");
        TestSupport.CliRun r = cli("embed", "--model", TestSupport.minilmTwoLayers(), "--input", SAMPLE.toString(), "--output", out.toString(), "--master", "local[2]",
                "--partitions", "3", "--threads-per-executor", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(r.out()).get("rows").asInt()).isEqualTo(8);
        List<String> in = Files.readAllLines(SAMPLE);
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSameSizeAs(in);
        List<String> texts = new ArrayList<>();
        for (String l : in) {
            texts.add(json.readTree(l).get("text").asText());
        }
        try (AdaptedModel m = AdaptedModel.base(TestSupport.minilmTwoLayers(), 1)) {
            for (int i = 0; i < lines.size(); i++) {
                JsonNode row = json.readTree(lines.get(i));
                assertThat(row.get("id").asLong()).isEqualTo(i);
                if (texts.get(i).isEmpty()) {
                    assertThat(row.get("embedding").isNull()).isTrue();
                    assertThat(row.get("error").asText()).contains("empty");
                    continue;
                }
                assertThat(row.get("error").isNull()).isTrue();
                float[] expected = m.embed(List.of(texts.get(i)), (String) null)[0];
                assertThat(row.get("embedding").size()).isEqualTo(expected.length);
                for (int k = 0; k < expected.length; k++) {
                    assertThat(row.get("embedding").get(k).asDouble()).isCloseTo(expected[k], within(1e-5));
                }
            }
        }
        // Parquet out, then the existing output is refused, and a missing input is named
        Path pq = dir.resolve("sample.parquet");
        assertThat(cli("embed", "--model", TestSupport.minilmTwoLayers(), "--input", SAMPLE.toString(), "--output", pq.toString(), "--master", "local[1]").code()).isZero();
        assertThat(Files.isDirectory(pq)).isTrue();
        TestSupport.CliRun again = cli("embed", "--model", TestSupport.minilmTwoLayers(), "--input", SAMPLE.toString(), "--output", pq.toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains(pq.toString()).contains("--overwrite");
        TestSupport.CliRun missing = cli("embed", "--model", TestSupport.minilmTwoLayers(), "--input", dir.resolve("nope.jsonl").toString(), "--output", dir.resolve("x.jsonl").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.jsonl").contains("no such file");
        assertThat(dir.resolve("x.jsonl")).doesNotExist();
    }

    @Test
    @SuppressWarnings("unchecked")
    void predictsMixedTasksWithChoicesFromJsonLinesLikeTheModel(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertThat(dev.moore4j.cli.Main.execute("train", "--model", TestSupport.minilmTwoLayers(), "--method", "lora", "--tasks", "sst2,arc-e", "--max-train", "16",
                "--max-eval", "4", "--max-steps", "2", "--batch-size", "4", "--max-length", "48", "--no-oblivion", "--out", run.toString(),
                "--threads", "1")).isZero();
        ObjectMapper json = new ObjectMapper();
        List<java.util.Map<String, Object>> rows = List.of(
                java.util.Map.of("id", 0, "task", "sst2", "text", "a warm and funny film"),
                java.util.Map.of("id", 1, "task", "arc-e", "text", "Which of these is alive?", "choices", List.of("a rock", "a tree", "a spoon")),
                java.util.Map.of("id", 2, "task", "arc-e", "text", "What melts ice?", "choices", List.of("heat", "cold")),
                java.util.Map.of("id", 3, "task", "arc-e", "text", "Only one?", "choices", List.of("one")));
        Path in = dir.resolve("in.jsonl");
        StringBuilder sb = new StringBuilder();
        for (var r : rows) {
            sb.append(json.writeValueAsString(r)).append('\n');
        }
        Files.writeString(in, sb.toString());
        Path out = dir.resolve("out.jsonl");
        TestSupport.CliRun r = cli("predict", "--adapter", run.resolve("last").toString(), "--input", in.toString(), "--output", out.toString(), "--task-col",
                "task", "--choices-col", "choices", "--master", "local[1]", "--threads-per-executor", "1");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(rows.size());
        try (AdaptedModel m = AdaptedModel.open(run.resolve("last"), null, 1)) {
            List<AdaptedModel.Prediction> expected = m.predict(rows.subList(0, 3).stream().map(x -> new AdaptedModel.Input((String) x.get("task"),
                    (String) x.get("text"), null, (List<String>) x.get("choices"))).toList());
            JsonNode sst = json.readTree(lines.get(0));
            assertThat(sst.get("prediction").get("label").asText()).isEqualTo(expected.get(0).label());
            for (int i = 1; i < 3; i++) {
                JsonNode row = json.readTree(lines.get(i));
                assertThat(row.get("id").asInt()).isEqualTo(i);
                assertThat(row.get("error").isNull()).as(row.toString()).isTrue();
                JsonNode p = row.get("prediction");
                assertThat(p.get("choice").asText()).isEqualTo(expected.get(i).choice());
                assertThat(p.get("index").asInt()).isEqualTo(expected.get(i).index());
                assertThat(p.get("scores").size()).isEqualTo(expected.get(i).scores().length);
                for (int c = 0; c < expected.get(i).scores().length; c++) {
                    assertThat(p.get("scores").get(c).asDouble()).isCloseTo(expected.get(i).scores()[c], within(1e-5));
                }
            }
        }
        JsonNode bad = json.readTree(lines.get(3));
        assertThat(bad.get("prediction").isNull()).isTrue();
        assertThat(bad.get("error").asText()).contains("choices").contains("at least two");
    }
}
