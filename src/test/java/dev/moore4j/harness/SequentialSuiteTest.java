package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sequential protocol of a suite file on stories260K's toy tasks: the plan chains the stages, each stage continues
 * the one before (its task table grows by the stage's tasks, its stages are recorded), every task seen so far is
 * evaluated after each, and the tables show the matrix and the transfer figures.
 */
class SequentialSuiteTest {
    static String suite(Path root) {
        Path tasks = root.toAbsolutePath().resolve("examples/stories-tasks");
        return """
                name: seq
                model: stories260K
                tasks: [%s/mood.yaml, %s/pet.yaml]
                protocol:
                  train_examples: 24
                  eval_examples: 8
                  max_length: 48
                  batch_size: 8
                  steps: 4
                  oblivion: false
                methods: [lora]
                seeds: [1]
                rates: {adapter: 5.0e-3}
                sequential:
                  orders:
                    ab: [mood, pet]
                    ba: [pet, mood]
                  replay: [0, 4]
                """.formatted(tasks, tasks);
    }

    @Test
    void stagesContinueOneAnotherAndTheTablesShowTheMatrix(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("seq.yaml");
        Files.writeString(file, suite(Path.of("")));
        SuiteSpec spec = SuiteSpec.resolve(file.toString());
        List<RunId> plan = SuiteSequential.plan(spec, List.of("lora"), List.of(1L), null);
        assertThat(plan).hasSize(2 * 2 * 2);
        assertThat(plan.get(0).kind()).isEqualTo(new RunId.Stage("ab", 0, 0));
        assertThat(plan.get(4).kind()).as("stage-major: every first stage, then every second").isEqualTo(new RunId.Stage("ab", 0, 1));
        assertThat(RunId.Kind.of(plan.get(4).kind().key())).isEqualTo(plan.get(4).kind());
        assertThat(SuiteSequential.stageSteps(spec, new RunId.Stage("ab", 0, 1))).isEqualTo(2); // half the examples: half the steps

        Path out = dir.resolve("out");
        // two jobs side by side (child processes): each stage waits for the one it continues
        TestSupport.CliRun r = TestSupport.cli("suite", file.toString(), "--sequential", "--methods", "lora", "--out", out.toString(),
                "--threads", "2", "--jobs", "2");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode second = new ObjectMapper().readTree(out.resolve("runs").resolve(plan.get(4).dirName()).resolve("summary.json").toFile());
        assertThat(second.get("stages")).hasSize(2);
        assertThat(second.get("eval").get("tasks").has("mood")).as("the first stage's task is evaluated after the second").isTrue();
        assertThat(second.get("eval").get("tasks").has("pet")).isTrue();
        assertThat(second.get("examples").get("mood").get("train").asInt()).isZero(); // no replay in this sequence
        JsonNode replayed = new ObjectMapper().readTree(out.resolve("runs").resolve(new RunId("seq", new RunId.Stage("ab", 4, 1), "lora", 1,
                plan.get(4).lr()).dirName()).resolve("summary.json").toFile());
        assertThat(replayed.get("examples").get("mood").get("train").asInt()).isEqualTo(4);
        String tables = Files.readString(out.resolve(Suite.REPORT));
        assertThat(tables).contains("## Sequential").contains("| lora | ab | 0 | 1 |").contains("| lora | ba | 4 | 1 |")
                .contains("### lora, order ab, replay 0").contains("| 2: pet |");
        try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
            assertThat(db.stageRows("seq")).hasSize(8);
        }
        // the simultaneous run beside it: the tables compare the last stage with it, the page draws the matrices and the forgetting
        TestSupport.CliRun main = TestSupport.cli("suite", file.toString(), "--methods", "lora", "--out", out.toString(), "--threads", TestSupport.THREADS);
        assertThat(main.code()).as(main.err()).isZero();
        String withMain = Files.readString(out.resolve(Suite.REPORT));
        assertThat(withMain.lines().filter(l -> l.startsWith("| lora | ab | 0 | 1 |")).findFirst().orElseThrow()).as("sequential − simultaneous")
                .matches(".*\\| [+-]\\d+\\.\\d \\[[+-]\\d+\\.\\d, [+-]\\d+\\.\\d\\] \\|$");
        String page = Files.readString(out.resolve("report.html"));
        assertThat(page).contains("<section id=\"sequential\">").contains("seq-lora-ab-r0").contains("forgetting-ab-r4");
        // rerun: everything recorded, nothing trained again
        TestSupport.CliRun again = TestSupport.cli("suite", file.toString(), "--sequential", "--methods", "lora", "--out", out.toString(),
                "--threads", TestSupport.THREADS);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("0 runs done now");
    }

    @Test
    void aStageNamingAnotherTaskOrATaskTwiceIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, suite(Path.of("")).replace("ba: [pet, mood]", "ba: [pet, weather]"));
        assertThatThrownBy(() -> SuiteSpec.resolve(file.toString())).isInstanceOf(MooreException.class)
                .hasMessageContaining("sequential.orders.ba").hasMessageContaining("'weather' is not one of the suite's tasks");
        Files.writeString(file, suite(Path.of("")).replace("ba: [pet, mood]", "ba: [pet, [mood, pet]]"));
        assertThatThrownBy(() -> SuiteSpec.resolve(file.toString())).isInstanceOf(MooreException.class).hasMessageContaining("task 'pet' comes twice");
    }
}
