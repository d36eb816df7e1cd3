package dev.moore4j.train;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.TestSupport;
import dev.moore4j.checkpoint.Checkpoint;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.Split;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.mtl.Pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code train --from}: a trained adapter continued on a new task. With 0 steps the old tasks' predictions are the
 * same bit for bit (their ids, heads and per-task rows are kept); with steps, the old tasks answer through the same
 * ids, a new task's per-task rows start at the mean of the old ones, and the checkpoint records both stages.
 */
class ContinuationTest {
    static final String MODEL = TestSupport.minilmTwoLayers();

    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + out + "\n" + err, e);
            }
        }
    }

    static Run run(String... args) {
        TestSupport.CliRun r = TestSupport.cli(args);
        return new Run(r.code(), r.out(), r.err());
    }

    static String[] train(Path out, String tasks, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--model", MODEL, "--tasks", tasks, "--max-train", "16", "--max-eval", "8",
                "--batch-size", "8", "--max-steps", "3", "--max-length", "32", "--lr", "3e-3", "--seed", "3", "--no-oblivion",
                "--threads", TestSupport.THREADS, "--json", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static String[] cont(Path from, Path out, String tasks, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--from", from.toString(), "--tasks", tasks, "--threads", TestSupport.THREADS,
                "--json", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static void ok(Run r) {
        assertThat(r.code()).as(r.err()).isZero();
    }

    /** Every score of every evaluation example of {@code tasks}, routed by task, from the adapter in {@code dir}. */
    static List<double[]> scores(Path dir, List<String> tasks, NDManager m) {
        List<double[]> out = new ArrayList<>();
        try (Checkpoint.Opened o = Checkpoint.open(dir, null, m)) {
            var specs = TaskRegistry.resolveAll(tasks);
            Map<String, List<Example>> eval = Pipeline.load(specs, Split.EVAL, o.config());
            for (String t : tasks) {
                for (TaskModel.Prediction p : o.model().predict(eval.get(t), m, TaskModel.Routing.BY_TASK)) {
                    out.add(p.scores());
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"moore", "mtl-lora", "lora"})
    void zeroStepsKeepTheOldTasksBitForBit(String method, @TempDir Path dir) {
        ok(run(train(dir.resolve("a"), "sst2,rte", "--method", method)));
        Run b = run(cont(dir.resolve("a"), dir.resolve("b"), "mrpc", "--epochs", "0", "--max-steps", "0"));
        ok(b);
        assertThat(b.json().get("stages")).hasSize(2);
        assertThat(b.json().get("eval").get("tasks").has("mrpc")).as("the new task is evaluated").isTrue();
        try (NDManager m = TestSupport.manager()) {
            List<double[]> before = scores(dir.resolve("a/best"), List.of("sst2", "rte"), m);
            List<double[]> after = scores(dir.resolve("b/best"), List.of("sst2", "rte"), m);
            assertThat(after).hasSameSizeAs(before).isNotEmpty();
            for (int i = 0; i < before.size(); i++) {
                assertThat(after.get(i)).as(method + " example " + i).isEqualTo(before.get(i));
            }
        }
        JsonNode info = Checkpoint.readInfo(dir.resolve("b/best"));
        assertThat(info.get("tasks").get(0).get("name").asText()).isEqualTo("sst2");
        assertThat(info.get("tasks").get(1).get("name").asText()).isEqualTo("rte");
        assertThat(info.get("tasks").get(2).get("name").asText()).isEqualTo("mrpc");
    }

    @Test
    void mooreContinuedOnANewTaskAnswersTheOldTasksThroughTheSameIds(@TempDir Path dir) {
        ok(run(train(dir.resolve("a"), "sst2,rte", "--method", "moore")));
        Run c = run(cont(dir.resolve("a"), dir.resolve("c"), "mrpc", "--replay", "4", "--max-steps", "2"));
        ok(c);
        Map<String, HostTensor> old = Safetensors.readAll(dir.resolve("a/best/adapter.safetensors"));
        Map<String, HostTensor> grown = Safetensors.readAll(dir.resolve("c/last/adapter.safetensors"));
        String key = old.keySet().stream().filter(k -> k.endsWith(".moe_gate.task_embedding")).findFirst().orElseThrow();
        assertThat(grown.get(key).shape()).containsExactly(3, old.get(key).dim(1));
        // the stage trained: the task table moved, and the heads of the old tasks are theirs (replayed, so trained too)
        assertThat(grown.get(key).data()).isNotEqualTo(Continuation.grow(old.get(key), 3).data());
        JsonNode stages = Checkpoint.readInfo(dir.resolve("c/last")).get("stages");
        assertThat(stages).hasSize(2);
        assertThat(stages.get(0).get("tasks").toString()).isEqualTo("[\"sst2\",\"rte\"]");
        assertThat(stages.get(1).get("tasks").toString()).isEqualTo("[\"mrpc\"]");
        assertThat(stages.get(1).get("replay").asInt()).isEqualTo(4);
        assertThat(stages.get(1).get("examples").get("sst2").asInt()).isEqualTo(4);
        assertThat(stages.get(1).get("examples").get("mrpc").asInt()).isEqualTo(16);
        assertThat(stages.get(1).get("steps").asInt()).isEqualTo(2);
        assertThat(stages.get(1).get("data").get("mrpc").asText()).hasSize(16);
        // the old tasks answer through their ids; predict by name sees every task of both stages
        try (NDManager m = TestSupport.manager(); Checkpoint.Opened o = Checkpoint.open(dir.resolve("c/best"), null, m)) {
            assertThat(o.model().taskId("sst2")).isZero();
            assertThat(o.model().taskId("rte")).isEqualTo(1);
            assertThat(o.model().taskId("mrpc")).isEqualTo(2);
        }
        Run eval = run("eval", "--adapter", dir.resolve("c/best").toString(), "--max-eval", "4", "--json", "--threads", TestSupport.THREADS);
        ok(eval);
        assertThat(eval.json().toString()).contains("sst2").contains("rte").contains("mrpc");
    }

    @Test
    void aNewTasksRowsStartAtTheMeanOfTheOldOnes() {
        HostTensor t = new HostTensor(new long[] {2, 3}, new float[] {1, 2, 3, 3, 4, 5});
        HostTensor g = Continuation.grow(t, 4);
        assertThat(g.shape()).containsExactly(4, 3);
        assertThat(g.data()).containsExactly(1, 2, 3, 3, 4, 5, 2, 3, 4, 2, 3, 4);
        assertThat(Continuation.taskAxis(new long[] {2, 3}, new long[] {4, 3}, 2, 4)).isTrue();
        assertThat(Continuation.taskAxis(new long[] {2, 3}, new long[] {4, 4}, 2, 4)).isFalse();
        assertThat(Continuation.taskAxis(new long[] {3, 3}, new long[] {4, 3}, 2, 4)).isFalse();
    }

    @Test
    void aContinuationThatChangesTheMethodIsRefusedNamingIt(@TempDir Path dir) {
        ok(run(train(dir.resolve("a"), "sst2", "--method", "lora")));
        Run r = run(cont(dir.resolve("a"), dir.resolve("b"), "rte", "--method", "moore"));
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("trained with method 'lora'").doesNotContain("Exception");
        Run replayAlone = run(train(dir.resolve("c"), "sst2", "--replay", "3"));
        assertThat(replayAlone.code()).isNotZero();
        assertThat(replayAlone.err()).contains("--from");
    }
}
