package dev.moore4j.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.TestSupport;
import dev.moore4j.train.Run;
import dev.moore4j.train.Trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Suites as files: the built-ins parse, bad fields are named, a user's suite runs, resumes, sweeps and measures conflict like a built-in. */
class SuiteFileTest {
    private static final String SUITE = """
            name: mine
            title: two user tasks
            model: %s
            tasks: [tasks/sentiment.yaml, tasks/topic.json]
            protocol:
              train_examples: 12
              eval_examples: 10
              max_length: 32
              batch_size: 6
              steps: 4
              eval_every: 2
              oblivion: false
              validation_examples: 6
            methods: [heads, lora]
            seeds: [1, 2]
            rates: {adapter: 3.0e-3, heads: 2.0e-3}
            grids: {adapter: [1.0e-3, 3.0e-3], heads: [2.0e-3]}
            """.formatted(TestSupport.minilmTwoLayers()); // MiniLM's first two blocks: a user's suite, not MiniLM's figures

    /** Two user tasks in JSON Lines, one spec in YAML and one in JSON, under {@code dir/tasks}. */
    static Path userSuite(Path dir) throws Exception {
        Path tasks = Files.createDirectories(dir.resolve("tasks"));
        String[] good = {"a wonderful film", "great acting", "I loved it", "superb and moving", "a delight", "brilliant work"};
        String[] bad = {"a dull film", "terrible acting", "I hated it", "boring and slow", "a mess", "awful work"};
        StringBuilder s = new StringBuilder();
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            boolean pos = i % 2 == 0;
            s.append(String.format("{\"text\": \"%s number %d\", \"label\": \"%s\"}%n", (pos ? good : bad)[i % 6], i, pos ? "pos" : "neg"));
            boolean sport = i % 3 == 0;
            t.append(String.format("{\"sentence\": \"%s %d\", \"topic\": \"%s\"}%n", sport ? "the team won the match" : "the market fell today", i,
                    sport ? "sport" : "money"));
        }
        Files.writeString(tasks.resolve("sentiment.jsonl"), s);
        Files.writeString(tasks.resolve("topic.jsonl"), t);
        Files.writeString(tasks.resolve("sentiment.yaml"), "name: sentiment\nkind: classification\nlabels: [neg, pos]\ntrain: sentiment.jsonl\n");
        Files.writeString(tasks.resolve("topic.json"), "{\"name\": \"topic\", \"kind\": \"classification\", \"labels\": [\"money\", \"sport\"], "
                + "\"train\": \"topic.jsonl\", \"text_field\": \"sentence\", \"label_field\": \"topic\"}");
        Path file = dir.resolve("suite.yaml");
        Files.writeString(file, SUITE);
        return file;
    }

    @Test
    void builtInSuitesAreFilesInTheJar() {
        for (String name : SuiteSpec.BUILT_IN) {
            SuiteSpec s = SuiteSpec.resolve(name);
            assertThat(s.name()).isEqualTo(name);
            assertThat(SuiteSpec.builtInText(name)).contains("name: " + name);
            s.methods().forEach(m -> assertThat(s.rateFor(m)).isPositive());
        }
        SuiteSpec nlu = SuiteSpec.resolve("nlu-mtl");
        assertThat(nlu.methods()).hasSize(17).contains("goat[scale=paper]", "moore", "lora[r=132,alpha=264]");
        assertThat(nlu.rateFor("lora")).isEqualTo(3e-4);
        assertThat(nlu.rateFor("pissa")).isEqualTo(1e-4);
        assertThat(nlu.rateFor("full")).isEqualTo(5e-5);
        assertThat(nlu.gridFor("full")).containsExactly(1e-5, 3e-5, 1e-4);
        assertThat(nlu.gridFor("goat[scale=paper]")).containsExactly(3e-5, 1e-4, 3e-4, 1e-3);
        SuiteSpec csr = SuiteSpec.resolve("csr-mtl");
        assertThat(csr.protocol().maxEval()).isGreaterThanOrEqualTo(500);
        // CSR-MTL evaluates its 3,000 examples once, at the end, and checkpoints without evaluating in between
        TrainConfig run = csr.config("moore", 1, 1e-4, false, Map.of());
        assertThat(run.evalEvery()).isZero();
        assertThat(run.checkpointEvery()).isPositive().isLessThan(run.maxSteps());
    }

    @Test
    void aBadFieldFailsAtStartNamingIt(@TempDir Path dir) throws Exception {
        Path file = userSuite(dir);
        List<String[]> cases = List.of(
                new String[] {"steps: 4", "stepz: 4", "protocol.stepz"},
                new String[] {"steps: 4", "steps: four", "protocol.steps"},
                new String[] {"methods: [heads, lora]", "methods: [heads, lorra]", "lorra"},
                new String[] {"tasks/topic.json", "tasks/nothing.json", "nothing.json"},
                new String[] {"seeds: [1, 2]", "seeds: one", "seeds"},
                new String[] {"grids: {adapter", "grids: {adaptor", "grids.adaptor"},
                new String[] {"rates: {adapter: 3.0e-3, heads: 2.0e-3}", "rates: {heads: 2.0e-3}", "lora"},
                new String[] {"\nmodel: ", "\nmodle: ", "modle"},
                new String[] {"validation_examples: 6", "validation_examples: 6\n  analysis_examples: -1", "protocol.analysis_examples"},
                new String[] {"validation_examples: 6", "validation_examples: 6\n  checkpoint_every: -2", "protocol.checkpoint_every"},
                new String[] {"validation_examples: 6", "validation_examples: 6\n  schedule: linear", "protocol.schedule"},
                new String[] {"validation_examples: 6", "validation_examples: 6\n  warmup: 1.5", "protocol.warmup"},
                new String[] {"seeds: [1, 2]", "seeds: [1, 2, 1]", "'seeds': 1 is listed twice"},
                new String[] {"methods: [heads, lora]", "methods: [heads, lora, heads]", "'methods': heads is listed twice"},
                new String[] {"methods: [heads, lora]", "methods: [heads, \"lora[r=0]\"]", "key 'r' must be at least 1, got 0"},
                new String[] {"methods: [heads, lora]", "methods: [heads, \"lora[rank=4]\"]", "has no key 'rank'"},
                new String[] {"tasks/topic.json]", "tasks/topic.json, tasks/topic.json]", "'tasks'"});
        for (String[] c : cases) {
            Files.writeString(file, SUITE.replace(c[0], c[1]));
            assertThatThrownBy(() -> SuiteSpec.resolve(file.toString())).as(c[1]).isInstanceOf(MooreException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining(c[2]);
        }
        assertThatThrownBy(() -> SuiteSpec.resolve("no-such-suite")).hasMessageContaining("no-such-suite").hasMessageContaining("nlu-mtl");
    }

    @Test
    void theSweepPicksTheArgmaxOfValidationAndExtendsAtTheEdge(@TempDir Path dir) throws Exception {
        SuiteSpec spec = SuiteSpec.resolve(userSuite(dir).toString());
        try (ResultsDb db = ResultsDb.open(dir.resolve("r.sqlite"))) {
            assertThat(Suite.sweepPlan(spec, List.of("lora"), 1, db)).extracting(RunId::lr).containsExactly(1e-3, 3e-3);
            record(db, spec, "lora", 1e-3, 0.61);
            record(db, spec, "lora", 3e-3, 0.64); // best at the top edge: the next point, 1e-2, is planned
            assertThat(Suite.sweepPlan(spec, List.of("lora"), 1, db)).extracting(RunId::lr).containsExactly(1e-3, 3e-3, 9e-3);
            record(db, spec, "lora", 9e-3, 0.55); // no longer at the edge: the sweep is complete
            assertThat(Suite.sweepPlan(spec, List.of("lora"), 1, db)).extracting(RunId::lr).containsExactly(1e-3, 3e-3, 9e-3);
            assertThat(Suite.bestRates(spec, db)).containsEntry("lora", 3e-3);
            // the main runs take the sweep's choice; heads, not swept, its file rate
            assertThat(Suite.plan(spec, List.of("heads", "lora"), List.of(1L), 0, db)).extracting(RunId::lr).containsExactly(2e-3, 3e-3);
            record(db, spec, "lora", 9e-3, 0.70);
            assertThat(Suite.bestRates(spec, db)).containsEntry("lora", 9e-3);
            assertThat(Suite.sweepPlan(spec, List.of("lora"), 1, db)).extracting(RunId::lr).contains(3e-2); // 9e-3 × 3, as printed
        }
        // a sweep run's config evaluates on the validation split carved from training, never on the evaluation split
        var cfg = Suite.config(spec, new RunId(spec.name(), RunId.SWEEP, "lora", 1, 1e-3), Map.of());
        assertThat(cfg.validationExamples()).isEqualTo(6);
        assertThat(cfg.maxEvalExamples()).isZero();
        assertThat(cfg.oblivion()).isFalse();
    }

    @Test
    void aTaskLeftOutOfOverallIsLeftOutOfTheSweepTheTablesAndThePage(@TempDir Path dir) throws Exception {
        Path file = userSuite(dir);
        Files.writeString(file, SUITE + "overall_excludes: [topic]\n");
        SuiteSpec spec = SuiteSpec.resolve(file.toString());
        assertThat(spec.overallExcludes()).containsExactly("topic");
        for (String[] c : new String[][] {{"[topick]", "topick"}, {"[topic, sentiment]", "leaves no task"}}) {
            Files.writeString(file, SUITE + "overall_excludes: " + c[0] + "\n");
            assertThatThrownBy(() -> SuiteSpec.resolve(file.toString())).hasMessageContaining("overall_excludes").hasMessageContaining(c[1]);
        }
        try (ResultsDb db = ResultsDb.open(dir.resolve("r.sqlite"))) {
            // over both tasks 3e-3 wins (0.70 against 0.50); over sentiment alone 1e-3 does (0.90 against 0.80)
            record(db, spec, "sweep", "lora", 1e-3, 0.9, 0.1);
            record(db, spec, "sweep", "lora", 3e-3, 0.8, 0.6);
            assertThat(Suite.bestRates(SuiteSpec.resolve(withoutExcludes(file)), db))
                    .containsEntry("lora", 3e-3);
            assertThat(Suite.bestRates(spec, db)).containsEntry("lora", 1e-3);
            ResultsDb.Row row = spec.overallScore().of(db.rows("mine", RunId.SWEEP)).get(0);
            assertThat(row.overall()).isEqualTo(0.9);
            assertThat(db.rows("mine", RunId.SWEEP).get(0).overall()).as("the stored run keeps its own overall").isEqualTo(0.5);
            // main runs at the old choice stay out of the tables once the new choice has runs of its own
            record(db, spec, "main", "lora", 3e-3, 0.8, 0.6);
            List<ResultsDb.Row> sweep = spec.overallScore().of(db.rows("mine", RunId.SWEEP));
            assertThat(Suite.current(db.rows("mine", RunId.MAIN), sweep)).extracting(ResultsDb.Row::lr).containsExactly(3e-3);
            assertThat(Suite.superseded(db.rows("mine", RunId.MAIN), sweep)).isEmpty();
            record(db, spec, "main", "lora", 1e-3, 0.9, 0.1);
            assertThat(Suite.current(db.rows("mine", RunId.MAIN), sweep)).extracting(ResultsDb.Row::lr).containsExactly(1e-3);
            assertThat(Suite.superseded(db.rows("mine", RunId.MAIN), sweep)).extracting(ResultsDb.Row::lr).containsExactly(3e-3);
            Suite.writeReport(spec, db, dir, "t", null);
            assertThat(db.overallScore("mine").excluded()).containsExactly("topic");
            assertThat(db.overallScore("another").allTasks()).isTrue();
            assertThat(Files.readString(dir.resolve(Suite.REPORT))).contains("Overall here is the mean over sentiment only: topic keeps its column")
                    .contains("| 1 | lora | 1e-3 | 1 | 0 | 90.0 | 10.0 | 90.0 |");
        }
        assertThat(Suite.conflictPlan(spec, List.of("lora"), List.of(1L), null)).extracting(k -> k.kind().key()).containsExactly("single-sentiment");
    }

    @Test
    void theConflictPassTakesTheTwoMixturesRankedHighestByTheSuitesOverall(@TempDir Path dir) throws Exception {
        Path file = userSuite(dir);
        Files.writeString(file, SUITE.replace("methods: [heads, lora]", "methods: [heads, lora, moore, mixlora, mola, omoe]") + "overall_excludes: [topic]\n");
        SuiteSpec spec = SuiteSpec.resolve(file.toString());
        assertThat(Suite.conflictMethods(spec, null)).containsExactly("heads", "lora", "moore", "mixlora", "mola");
        try (ResultsDb db = ResultsDb.open(dir.resolve("r.sqlite"))) {
            // over both tasks mixlora and mola lead; over sentiment alone, the suite's overall, omoe and mola do
            record(db, spec, "main", "mixlora", 3e-3, 0.70, 0.90);
            record(db, spec, "main", "mola", 3e-3, 0.80, 0.60);
            record(db, spec, "main", "omoe", 3e-3, 0.90, 0.10);
            assertThat(Suite.conflictMethods(spec, db)).containsExactly("heads", "lora", "moore", "omoe", "mola");
            // a run at a rate the sweep no longer selects does not count once the selected rate has one
            record(db, spec, "sweep", "omoe", 1e-3, 0.95, 0.0);
            record(db, spec, "sweep", "omoe", 3e-3, 0.50, 0.0);
            record(db, spec, "main", "omoe", 1e-3, 0.10, 0.10);
            assertThat(Suite.conflictMethods(spec, db)).containsExactly("heads", "lora", "moore", "mola", "mixlora");
        }
    }

    private static String withoutExcludes(Path file) throws Exception {
        Path plain = file.resolveSibling("plain.yaml");
        Files.writeString(plain, SUITE);
        return plain.toString();
    }

    /** A run with both user tasks' accuracies in its evaluation, its own overall their mean. */
    private static void record(ResultsDb db, SuiteSpec spec, String kind, String method, double lr, double sentiment, double topic) {
        ObjectNode summary = new ObjectMapper().createObjectNode();
        ObjectNode eval = summary.putObject("eval");
        eval.putObject("tasks").<ObjectNode>set("sentiment", new ObjectMapper().createObjectNode().put("accuracy", sentiment))
                .putObject("topic").put("accuracy", topic);
        eval.put("overall", (sentiment + topic) / 2);
        summary.putObject("config");
        summary.putArray("warnings");
        db.record(new RunId(spec.name(), RunId.Kind.of(kind), method, 1, lr), Path.of("nowhere"), summary);
    }

    private static void record(ResultsDb db, SuiteSpec spec, String method, double lr, double overall) {
        ObjectNode summary = new ObjectMapper().createObjectNode();
        summary.putObject("eval").put("overall", overall);
        summary.putObject("config");
        summary.putArray("warnings");
        db.record(new RunId(spec.name(), RunId.SWEEP, method, 1, lr), Path.of("nowhere"), summary);
    }

    @Test
    void conflictRunsGetEachTaskItsShareOfTheMultiTaskSteps(@TempDir Path dir) throws Exception {
        SuiteSpec spec = SuiteSpec.resolve(userSuite(dir).toString());
        assertThat(Suite.singleTaskSteps(spec)).containsExactly(Map.entry("sentiment", 2), Map.entry("topic", 2)); // 4 steps × 12 / 24
        List<RunId> plan = Suite.conflictPlan(spec, List.of("lora"), List.of(1L), null);
        assertThat(plan).extracting(k -> k.kind().key()).containsExactly("single-sentiment", "single-topic");
        for (RunId k : plan) {
            var cfg = Suite.config(spec, k, Map.of());
            assertThat(cfg.maxSteps()).isEqualTo(2);
            assertThat(cfg.tasks()).hasSize(1);
            assertThat(Path.of(cfg.tasks().get(0)).getFileName().toString()).startsWith(((RunId.Single) k.kind()).task() + ".");
            assertThat(cfg.batchSize()).isEqualTo(spec.protocol().batchSize());
            assertThat(k.lr()).isEqualTo(spec.rateFor("lora"));
        }
        // with the oblivion probe on, the multi-task runs probe and the single-task runs do not: the conflict table reads scores only
        Path file = userSuite(dir);
        Files.writeString(file, SUITE.replace("oblivion: false", "oblivion: true"));
        SuiteSpec probing = SuiteSpec.resolve(file.toString());
        assertThat(Suite.config(probing, new RunId(probing.name(), RunId.MAIN, "lora", 1, 3e-3), Map.of()).oblivion()).isTrue();
        assertThat(Suite.config(probing, Suite.conflictPlan(probing, List.of("lora"), List.of(1L), null).get(0), Map.of()).oblivion()).isFalse();
    }

    @Test
    void aMooreRunOfASuiteHasItsRoutingAnalysisRecordedAtTheFirstSeedRunOnly(@TempDir Path dir) throws Exception {
        SuiteSpec spec = SuiteSpec.resolve(userSuite(dir).toString());
        assertThat(spec.seeds()).containsExactly(1L, 2L);
        Path out = dir.resolve("out");
        List<RunId> plan = List.of(new RunId("mine", RunId.MAIN, "moore", 1, 3e-3), new RunId("mine", RunId.MAIN, "moore", 2, 3e-3));
        try (NDManager m = TestSupport.manager()) {
            assertThat(Suite.run(spec, plan, out, 1, Suite.inProcess(spec, Map.of(), m), "t")).isEqualTo(2);
        }
        Path analysis = out.resolve("runs").resolve(plan.get(0).dirName()).resolve("best").resolve(Suite.ANALYSIS);
        assertThat(analysis).isRegularFile();
        // capped at the suite's 10 evaluation examples per task, below the default 200
        assertThat(new ObjectMapper().readTree(analysis.toFile()).get("examples_per_task").asInt()).isEqualTo(spec.protocol().maxEval()).isEqualTo(10);
        // the report draws the lowest seed's routing only, so the second seed's run skips the analysis
        assertThat(out.resolve("runs").resolve(plan.get(1).dirName()).resolve("best")).isDirectory();
        assertThat(out.resolve("runs").resolve(plan.get(1).dirName()).resolve("best").resolve(Suite.ANALYSIS)).doesNotExist();
        // analysis_examples: 0 turns the analysis off; the run is recorded all the same
        Path file = userSuite(dir);
        Files.writeString(file, SUITE.replace("validation_examples: 6", "validation_examples: 6\n  analysis_examples: 0"));
        SuiteSpec off = SuiteSpec.resolve(file.toString());
        assertThat(off.protocol().analysisExamples()).isZero();
        Path none = dir.resolve("none");
        try (NDManager m = TestSupport.manager()) {
            assertThat(Suite.run(off, plan.subList(0, 1), none, 1, Suite.inProcess(off, Map.of(), m), "t")).isEqualTo(1);
        }
        assertThat(none.resolve("runs").resolve(plan.get(0).dirName()).resolve("best").resolve(Suite.ANALYSIS)).doesNotExist();
        // a user who runs `--seeds 2` alone gets the analysis at seed 2, the lowest seed the report can draw
        Path later = dir.resolve("later");
        try (NDManager m = TestSupport.manager()) {
            assertThat(Suite.run(spec, plan.subList(1, 2), later, 1, Suite.inProcess(spec, Map.of(), m, List.of(2L)), "t")).isEqualTo(1);
        }
        assertThat(later.resolve("runs").resolve(plan.get(1).dirName()).resolve("best").resolve(Suite.ANALYSIS)).isRegularFile();
        try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
            var a = db.routing(new RunId("mine", RunId.MAIN, "moore", 1, 3e-3));
            assertThat(a.get("layers")).isNotEmpty();
            assertThat(a.get("task_similarity").get("tasks")).extracting(n -> n.asText()).containsExactly("sentiment", "topic");
        }
    }

    /** The acceptance run: a user's suite file, two methods, two seeds; killed mid-run, resumed, tabulated with paired statistics. */
    @Test
    void aUserSuiteRunsResumesAndTabulatesLikeABuiltIn(@TempDir Path dir) throws Exception {
        SuiteSpec spec = SuiteSpec.resolve(userSuite(dir).toString());
        Path out = dir.resolve("out");
        try (NDManager m = TestSupport.manager()) {
            List<RunId> plan = Suite.plan(spec, spec.methods(), spec.seeds(), 0, null);
            assertThat(plan).hasSize(4);
            // a kill after step 2 of 4 of one run: its checkpoint is there, its summary is not
            RunId lora2 = plan.stream().filter(k -> k.method().equals("lora") && k.seed() == 2).findFirst().orElseThrow();
            Path killed = out.resolve("runs").resolve(lora2.dirName());
            Run.train(Suite.config(spec, lora2, Map.of()), killed, new Trainer.Options(false, 2), m);
            assertThat(Files.exists(killed.resolve("summary.json"))).isFalse();
            // --plan: the killed run stands at its checkpoint's step and times its method; heads has nothing to time it by
            List<SuiteProgress.Entry> before = SuiteProgress.of(spec, plan, out, null);
            assertThat(before).extracting(SuiteProgress.Entry::state).containsOnly(SuiteProgress.State.TODO, SuiteProgress.State.PARTIAL);
            SuiteProgress.Entry part = before.stream().filter(e -> e.key().equals(lora2)).findFirst().orElseThrow();
            assertThat(part.state()).isEqualTo(SuiteProgress.State.PARTIAL);
            assertThat(part.step()).isEqualTo(2);
            assertThat(part.steps()).isEqualTo(4);
            for (SuiteProgress.Entry e : before) {
                if (e.key().method().equals("lora")) {
                    assertThat(e.secondsLeft()).as(e.key().dirName()).isPositive()
                            .isCloseTo((e == part ? 0.5 : 1.0) * before.stream().filter(x -> x.key().method().equals("lora") && x != part)
                                    .findFirst().orElseThrow().secondsLeft(), org.assertj.core.data.Percentage.withPercentage(1e-6));
                } else {
                    assertThat(e.secondsLeft()).as(e.key().dirName()).isNaN();
                }
            }
            assertThat(SuiteProgress.text("t", before, 2)).contains("4 planned runs: 1 part-trained, 3 to do").contains(lora2.dirName() + " ")
                    .contains("at step 2 of 4").contains("Not counted: 2 runs");
            assertThat(Suite.run(spec, plan, out, 1, Suite.inProcess(spec, Map.of(), m), "t")).isEqualTo(4);
            try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
                List<SuiteProgress.Entry> after = SuiteProgress.of(spec, plan, out, db);
                assertThat(after).allSatisfy(e -> {
                    assertThat(e.state()).isEqualTo(SuiteProgress.State.RECORDED);
                    assertThat(e.secondsLeft()).isZero();
                    assertThat(e.overall()).isBetween(0.0, 1.0);
                });
                assertThat(SuiteProgress.text("t", after, 1)).contains("4 planned runs: 4 recorded").contains("about 0 min in all");
            }
            // resumed from its checkpoint, not restarted (HarnessTest checks that the bytes equal an uninterrupted run's)
            var resumed = new ObjectMapper().readTree(killed.resolve("summary.json").toFile());
            assertThat(resumed.path("steps").asInt()).isEqualTo(4);
            assertThat(Suite.run(spec, plan, out, 1, Suite.inProcess(spec, Map.of(), m), "t")).as("nothing runs twice").isZero();
            // conflict: each task alone for lora, at seed 1
            List<RunId> single = Suite.conflictPlan(spec, List.of("lora"), List.of(1L), null);
            assertThat(Suite.run(spec, single, out, 1, Suite.inProcess(spec, Map.of(), m), "t")).isEqualTo(2);
        }
        try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
            List<ResultsDb.Row> rows = db.rows("mine", RunId.MAIN);
            assertThat(rows).hasSize(4);
            for (ResultsDb.Row r : rows) {
                assertThat(db.predictions(new RunId("mine", RunId.MAIN, r.method(), r.seed(), r.lr()))).as("predictions of %s seed %d", r.method(), r.seed())
                        .containsOnlyKeys("sentiment", "topic").allSatisfy((t, p) -> assertThat(p.size()).isEqualTo(10));
                // curves, the resumed run's too: every step's loss, rate and gradient norm, and each evaluation's scores
                var curves = db.curves(new RunId("mine", RunId.MAIN, r.method(), r.seed(), r.lr()));
                assertThat(curves.get("step")).extracting(n -> n.asInt()).containsExactly(1, 2, 3, 4);
                assertThat(curves.get("loss")).hasSize(4).allMatch(n -> n.isNumber() && n.asDouble() > 0);
                assertThat(curves.get("grad_norm")).hasSize(4).allMatch(n -> n.isNumber() && n.asDouble() > 0);
                assertThat(curves.get("lr")).hasSize(4).allMatch(n -> n.asDouble() > 0 && n.asDouble() <= r.lr() * (1 + 1e-9));
                assertThat(curves.get("lr").get(3).asDouble()).isCloseTo(r.lr(), org.assertj.core.data.Offset.offset(1e-12));
                assertThat(curves.get("eval")).extracting(n -> n.get("step").asInt()).containsExactly(2, 4);
                assertThat(curves.get("eval").get(1).get("tasks").get("topic").isNumber()).isTrue();
            }
        }
        String md = Files.readString(out.resolve(Suite.REPORT));
        assertThat(md).contains("| rank | method | lr | seeds | trainable |").contains(" vs lora |").contains("| heads | 2e-3 | 2 |")
                .contains("| lora | 3e-3 | 2 |").contains("## Conflict").contains("paired bootstrap");
        List<String> heads = new ArrayList<>(md.lines().filter(l -> l.contains("| heads | 2e-3 |")).toList());
        assertThat(heads.get(0)).matches(".*[+-]\\d+\\.\\d \\[[+-]\\d+\\.\\d, [+-]\\d+\\.\\d\\] (better|worse|≈).*");
        assertThat(md.lines().filter(l -> l.startsWith("| lora | 1 |")).findFirst()).as("conflict row of lora, one seed").isPresent();
    }
}
