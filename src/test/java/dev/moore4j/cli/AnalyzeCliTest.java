package dev.moore4j.cli;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.task.Split;
import dev.moore4j.TestSupport;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.eval.RoutingAnalysis;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Routing analysis: the identity at initialisation, and a symmetric similarity with a unit diagonal after training. */
class AnalyzeCliTest {
    @Test
    void aFreshlyMoeizedModelIsTheBaseModel() {
        var n = TrainConfig.defaults().toJson();
        n.put("model", "minilm").put("method", "moore").put("maxEvalExamples", 6).put("maxLength", 48).put("oblivion", false);
        n.set("tasks", new ObjectMapper().valueToTree(List.of("cola", "sst2")));
        TrainConfig cfg = TrainConfig.fromJson(n, "test").validate();
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("minilm", m)) {
            List<TaskSpec> tasks = TaskRegistry.resolveAll(cfg.tasks());
            TaskModel model = Pipeline.build(cfg, tasks, loaded);
            JsonNode a = RoutingAnalysis.run(model, Pipeline.load(tasks, Split.EVAL, cfg), dev.moore4j.eval.EvalBatches.ofExamples(8), m);
            assertThat(a.get("layers")).isNotEmpty();
            for (JsonNode layer : a.get("layers")) {
                for (String label : List.of("cola", "sst2", RoutingAnalysis.TASK_FREE)) {
                    JsonNode t = layer.get("tasks").get(label);
                    assertThat(t.get("w_over_s_mean").asDouble()).as(layer.get("name") + " " + label).isCloseTo(1.0, within(1e-5));
                    assertThat(t.get("w_over_s_std").asDouble()).isLessThan(1e-3);
                    assertThat(t.get("off_share").asDouble()).isZero();
                    assertThat(t.get("task_part_rms").asDouble()).isZero();
                    assertThat(t.get("sample_part_rms").asDouble()).isZero();
                    assertThat(t.get("adjustment_bins")).isNotEmpty().allSatisfy(v -> assertThat(v.asDouble()).isCloseTo(0.0, within(1e-5)));
                }
                int experts = layer.get("experts").asInt();
                assertThat(layer.get("tasks").get("cola").get("adjustment_bins").size())
                        .isEqualTo((experts + layer.get("bin_size").asInt() - 1) / layer.get("bin_size").asInt()).isLessThanOrEqualTo(RoutingAnalysis.BINS);
            }
        }
    }

    @Test
    void afterTrainingTheSimilarityIsSymmetricWithAUnitDiagonal(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        JsonNode a = trainAndAnalyze("moore", "cola,sst2,rte", 6, out);
        JsonNode sim = a.get("task_similarity");
        assertThat(sim.get("tasks")).extracting(JsonNode::asText).containsExactly("cola", "sst2", "rte");
        symmetricWithAUnitDiagonal(sim.get("matrix"), 3);
        JsonNode first = a.get("layers").get(0).get("tasks");
        assertThat(first.fieldNames()).toIterable().containsExactly("cola", "sst2", "rte", RoutingAnalysis.TASK_FREE);
        assertThat(first.get("cola").get("task_part_rms").asDouble()).as("trained: the router moved").isPositive();
        assertThat(Files.readString(out.resolve("last").resolve("analysis.json"))).contains("\"task_similarity\"");
        // the run, reported on its own, shows its routing
        Path page = dir.resolve("run.html");
        CliTest.Run rep = run("report", out.toString(), "--html", page.toString());
        assertThat(rep.code()).as(rep.err()).isZero();
        assertThat(Files.readString(page)).contains("data-chart=\"routing-moore-cola\"").contains("data-chart=\"similarity-moore\"");
    }

    @Test
    void aMixturesRoutingIsItsExpertLoadPerTask(@TempDir Path dir) throws Exception {
        JsonNode a = trainAndAnalyze("mixlora", "cola,sst2", 4, dir.resolve("run"));
        assertThat(a.get("layers")).isNotEmpty();
        for (JsonNode layer : a.get("layers")) {
            assertThat(layer.get("tasks").fieldNames()).toIterable().containsExactly("cola", "sst2", RoutingAnalysis.TASK_FREE);
            for (JsonNode t : layer.get("tasks")) {
                JsonNode load = t.get("expert_load");
                assertThat(load.size()).isEqualTo(layer.get("experts").asInt());
                double sum = 0;
                for (JsonNode v : load) {
                    sum += v.asDouble();
                }
                assertThat(sum).as("every token goes somewhere").isCloseTo(1.0, within(1e-3));
                assertThat(t.get("entropy").asDouble()).isBetween(0.0, 1.0);
            }
        }
        symmetricWithAUnitDiagonal(a.get("task_similarity").get("matrix"), 2);
    }

    /** A short training run of the method on the tasks, then its routing analysis (into OUT/last/analysis.json). */
    static JsonNode trainAndAnalyze(String method, String tasks, int steps, Path out) throws Exception {
        CliTest.Run train = run("train", "--method", method, "--tasks", tasks, "--max-train", "24", "--max-eval", "8", "--max-steps",
                Integer.toString(steps), "--batch-size", "6", "--max-length", "48", "--lr", "1e-2", "--no-oblivion", "--out", out.toString(),
                "--threads", TestSupport.THREADS);
        assertThat(train.code()).as(train.err()).isZero();
        CliTest.Run r = run("analyze", "--adapter", out.resolve("last").toString(), "--max-examples", "8", "--json", "--threads", TestSupport.THREADS);
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode a = r.json();
        assertThat(a.get("method").asText()).isEqualTo(method);
        return a;
    }

    static void symmetricWithAUnitDiagonal(JsonNode mx, int n) {
        assertThat(mx).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(mx.get(i).get(i).asDouble()).isEqualTo(1.0);
            for (int j = 0; j < n; j++) {
                assertThat(mx.get(i).get(j).asDouble()).isCloseTo(mx.get(j).get(i).asDouble(), within(1e-12)).isBetween(-1.0, 1.0);
            }
        }
    }
}
