package dev.moore4j.harness;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.task.Split;
import dev.moore4j.task.BadRows;
import dev.moore4j.TestSupport;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.Run;
import dev.moore4j.train.Trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The suite harness on a tiny protocol: runs recorded once, skipped after, interrupted runs resumed exactly, the sweep on a carved split. */
class HarnessTest {
    static final SuiteSpec TINY = SuiteSpec.fromYaml("""
            name: tiny
            title: tiny suite
            model: %s
            tasks: [cola, sst2]
            protocol: {train_examples: 12, eval_examples: 10, max_length: 48, batch_size: 6, steps: 4, eval_every: 2, warmup: 0.1,
                       head_lr: 2e-3, oblivion_examples: 40, validation_examples: 8}
            methods: [heads, lora]
            seeds: [1, 2]
            rates: {adapter: 3e-3, heads: 2e-3}
            grids: {adapter: [1e-3, 3e-3]}
            sweep_methods: [lora]
            """.formatted(TestSupport.minilmTwoLayers()), "tiny suite"); // MiniLM's first two blocks: the harness's claims need no real figures

    @Test
    void suiteRecordsSkipsAndResumes(@TempDir Path out) throws Exception {
        try (NDManager m = TestSupport.manager()) {
            List<RunId> seed1 = Suite.plan(TINY, TINY.methods(), List.of(1L), 0, null);
            assertThat(Suite.run(TINY, seed1, out, 1, Suite.inProcess(TINY, Map.of(), m), "t")).isEqualTo(2);
            assertThat(Suite.run(TINY, seed1, out, 1, Suite.inProcess(TINY, Map.of(), m), "t")).as("nothing runs twice").isZero();
            // a run interrupted after step 2 of 4 (as by a kill after its checkpoint) is resumed, not restarted
            RunId lora2 = new RunId(TINY.name(), RunId.MAIN, "lora", 2, TINY.rateFor("lora"));
            Path dir = out.resolve("runs").resolve(lora2.dirName());
            Run.train(TINY.config("lora", 2, lora2.lr(), false, Map.of()), dir, new Trainer.Options(false, 2), m);
            assertThat(Files.exists(dir.resolve("summary.json"))).isFalse();
            List<RunId> both = Suite.plan(TINY, TINY.methods(), List.of(1L, 2L), 0, null);
            assertThat(Suite.run(TINY, both, out, 1, Suite.inProcess(TINY, Map.of(), m), "t")).isEqualTo(2);
            Path reference = out.resolve("reference");
            Run.train(TINY.config("lora", 2, lora2.lr(), false, Map.of()), reference, new Trainer.Options(false, 0), m);
            assertThat(Files.readAllBytes(dir.resolve("last/adapter.safetensors"))).isEqualTo(Files.readAllBytes(reference.resolve("last/adapter.safetensors")));
            try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
                List<ResultsDb.Row> rows = db.rows("tiny", RunId.MAIN);
                assertThat(rows).hasSize(4);
                ResultsDb.Row lora = rows.stream().filter(r -> r.method().equals("lora")).findFirst().orElseThrow();
                assertThat(lora.trainable()).isPositive();
                assertThat(lora.eval().path("tasks").has("cola")).isTrue();
                assertThat(lora.oblivionBefore()).isBetween(0.5, 1.0);
                assertThat(lora.examplesPerSecond()).isPositive();
                assertThat(lora.inferenceMsPerExample()).isPositive();
                assertThat(lora.peakRssMb()).isPositive();
                assertThat(lora.commit()).isNotBlank();
            }
            String md = Files.readString(out.resolve(Suite.REPORT));
            assertThat(md).contains("| rank | method |").contains("| lora | 3e-3 | 2 |").contains("| heads | 2e-3 | 2 |").contains("Commits:");
        }
    }

    @Test
    void jobsRunSideBySideAndRecordTheSameTable(@TempDir Path out) throws Exception {
        Path one = out.resolve("one");
        Path two = out.resolve("two");
        List<RunId> plan = Suite.plan(TINY, TINY.methods(), List.of(1L), 0, null);
        try (NDManager m = TestSupport.manager()) {
            assertThat(Suite.run(TINY, plan, one, 1, Suite.inProcess(TINY, Map.of(), m), "t")).isEqualTo(2);
        }
        // two jobs: each waits until the other has started (so they overlap), then hands back the run made above
        CountDownLatch started = new CountDownLatch(2);
        Suite.RunTrainer copy = (k, dir) -> {
            started.countDown();
            try {
                assertThat(started.await(60, TimeUnit.SECONDS)).as("both jobs running at once").isTrue();
                Path made = one.resolve("runs").resolve(k.dirName());
                Files.createDirectories(dir);
                Files.copy(made.resolve(Run.PREDICTIONS), dir.resolve(Run.PREDICTIONS));
                return new ObjectMapper().readTree(made.resolve("summary.json").toFile());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(Suite.run(TINY, plan, two, 2, copy, "t")).isEqualTo(2);
        assertThat(Files.readString(two.resolve(Suite.REPORT))).isEqualTo(Files.readString(one.resolve(Suite.REPORT)));
    }

    @Test
    void sweepEvaluatesOnAValidationSplitCarvedFromTraining(@TempDir Path out) throws Exception {
        try (NDManager m = TestSupport.manager()) {
            List<RunId> plan = Suite.sweepPlan(TINY, TINY.sweepMethods(), 1L, null);
            assertThat(plan).extracting(RunId::lr).containsExactly(1e-3, 3e-3);
            assertThat(Suite.run(TINY, plan, out, 1, Suite.inProcess(TINY, Map.of(), m), "t")).isEqualTo(2);
            var summary = new ObjectMapper().readTree(out.resolve("runs").resolve(plan.get(0).dirName()).resolve("summary.json").toFile());
            assertThat(summary.get("examples").get("cola").get("eval").asInt()).isEqualTo(TINY.protocol().validation());
            assertThat(summary.get("config").get("validationExamples").asInt()).isEqualTo(TINY.protocol().validation());
            assertThat(Files.readString(out.resolve(Suite.REPORT))).contains("Learning-rate sensitivity").contains("Selected (each method's best validation overall");
        }
    }

    @Test
    void carvedValidationIsDisjointFromTraining() {
        TaskSpec cola = TaskRegistry.resolve("cola");
        List<Example> val = TaskRegistry.load(cola, Split.EVAL, SharedPaths.data(), 0, 3, BadRows.STOP, 50).examples();
        List<Example> train = TaskRegistry.load(cola, Split.TRAIN, SharedPaths.data(), 200, 3, BadRows.STOP, 50).examples();
        List<Example> dev = TaskRegistry.load(cola, Split.EVAL, SharedPaths.data(), 0, 3, BadRows.STOP).examples();
        assertThat(val).hasSize(50);
        assertThat(train).hasSize(200);
        Set<String> valSources = new HashSet<>();
        val.forEach(e -> valSources.add(e.source()));
        assertThat(train).noneMatch(e -> valSources.contains(e.source()));
        assertThat(val).allMatch(e -> e.source().contains("train"));
        assertThat(dev).allMatch(e -> e.source().contains("dev"));
    }
}
