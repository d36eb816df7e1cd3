package dev.moore4j.spark;

import dev.moore4j.TestSupport;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.cli.Main;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The transformers on {@code local[2]} (three attempts per task) against the model itself, row by row: a trained
 * MoORE adapter with a single-text task (SST-2), a pair task (MRPC) and a multiple-choice task (ARC-e), 140 rows of
 * mixed tasks (some task-free) in four partitions, several batches of 16 in each.
 */
class SparkTransformersTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path adapter;
    static Dataset<Row> rows;
    static List<Row> input = new ArrayList<>();

    static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType).add("task", DataTypes.StringType)
            .add("text", DataTypes.StringType).add("pair", DataTypes.StringType);

    @BeforeAll
    static void setUp() throws Exception {
        Path run = dir.resolve("run");
        int code = Main.execute("train", "--model", TestSupport.minilmTwoLayers(), "--method", "moore", "--tasks", "sst2,mrpc,arc-e", "--max-train", "24", "--max-eval", "8",
                "--max-steps", "4", "--batch-size", "6", "--max-length", "64", "--lr", "1e-2", "--no-oblivion", "--out", run.toString(), "--threads", "1");
        assertThat(code).isZero();
        adapter = run.resolve("last");
        Path data = dev.moore4j.io.SharedPaths.data().resolve("glue");
        List<String> sst = Files.readAllLines(data.resolve("sst2").resolve("dev.tsv"));
        List<String> mrpc = Files.readAllLines(data.resolve("mrpc").resolve("dev.tsv"));
        long id = 0;
        for (int i = 1; i <= 80; i++) {
            input.add(RowFactory.create(id++, i % 10 == 0 ? null : "sst2", sst.get(i).split("\t")[0].trim(), null));
        }
        for (int i = 1; i <= 60; i++) {
            String[] f = mrpc.get(i).split("\t");
            input.add(RowFactory.create(id++, "mrpc", f[3], f[4]));
        }
        spark = SparkSession.builder().master("local[2,3]").appName("moore4j-test").config("spark.ui.enabled", "false")
                .config("spark.sql.warehouse.dir", dir.resolve("warehouse").toString()).getOrCreate();
        rows = spark.createDataFrame(input, SCHEMA).repartition(4);
        assertThat(rows.rdd().getNumPartitions()).isEqualTo(4);
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
    }

    static List<Row> byId(Dataset<Row> df) {
        List<Row> out = new ArrayList<>(df.collectAsList());
        out.sort(Comparator.comparingLong(r -> r.getLong(0)));
        return out;
    }

    MooreEmbedder embedder() {
        return new MooreEmbedder().setAdapterPath(adapter.toString()).setTaskCol("task").setBatchSize(16).setThreadsPerExecutor(1);
    }

    MoorePredictor predictor() {
        return new MoorePredictor().setAdapterPath(adapter.toString()).setTaskCol("task").setPairCol("pair").setBatchSize(16).setThreadsPerExecutor(1);
    }

    @Test
    void embeddingsEqualTheModelsRowByRow() {
        List<Row> out = byId(embedder().transform(rows));
        assertThat(out).hasSize(input.size());
        try (AdaptedModel m = AdaptedModel.open(adapter, null, 1)) {
            List<String> texts = input.stream().map(r -> r.getString(2)).toList();
            List<String> tasks = input.stream().map(r -> r.getString(1)).toList();
            float[][] expected = m.embed(texts, tasks);
            for (int i = 0; i < out.size(); i++) {
                Row r = out.get(i);
                assertThat(r.isNullAt(5)).as("error of row %d: %s", i, r.get(5)).isTrue();
                double[] got = ((Vector) r.get(4)).toArray();
                assertThat(got).hasSize(expected[i].length);
                for (int k = 0; k < got.length; k++) {
                    assertThat(got[k]).as("row %d dim %d", i, k).isCloseTo(expected[i][k], within(1e-5));
                }
            }
        }
    }

    @Test
    void predictionsEqualTheModelsRowByRow() {
        Dataset<Row> labelled = rows.filter("task is not null");
        List<Row> out = byId(predictor().transform(labelled));
        List<Row> in = input.stream().filter(r -> r.getString(1) != null).toList();
        assertThat(out).hasSize(in.size());
        try (AdaptedModel m = AdaptedModel.open(adapter, null, 1)) {
            List<AdaptedModel.Input> ins = in.stream().map(r -> new AdaptedModel.Input(r.getString(1), r.getString(2), r.getString(3), null)).toList();
            List<AdaptedModel.Prediction> expected = m.predict(ins);
            for (int i = 0; i < out.size(); i++) {
                Row p = out.get(i).getStruct(4);
                assertThat(out.get(i).isNullAt(5)).as("error %s", out.get(i).get(5)).isTrue();
                assertThat(p.getString(0)).isEqualTo(expected.get(i).label());
                Map<String, Object> probs = p.getJavaMap(1);
                expected.get(i).probabilities().forEach((k, v) -> assertThat((Double) probs.get(k)).isCloseTo(v, within(1e-5)));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void multipleChoiceRowsPredictTheModelsChoiceAndScores() {
        StructType schema = SCHEMA.add("choices", DataTypes.createArrayType(DataTypes.StringType));
        List<Row> mc = new ArrayList<>();
        String[][] choices = {{"a tree", "a rock", "a spoon"}, {"melting ice", "boiling water"}, {"the sun", "the moon", "a lamp", "a star"}};
        for (int i = 0; i < 30; i++) {
            mc.add(RowFactory.create((long) i, "arc-e", "Which of these is " + (i % 2 == 0 ? "alive" : "warm") + "? (" + i + ")", null,
                    List.of(choices[i % 3])));
        }
        mc.add(RowFactory.create(30L, "sst2", "a fine film", null, null)); // a classification row beside them: no choices
        mc.add(RowFactory.create(31L, "arc-e", "Which one?", null, List.of("only one")));
        mc.add(RowFactory.create(32L, "sst2", "a fine film", null, List.of("x", "y")));
        mc.add(RowFactory.create(33L, "arc-e", "Which one?", null, List.of("x", "")));
        List<Row> out = byId(predictor().setChoicesCol("choices").transform(spark.createDataFrame(mc, schema).repartition(3)));
        assertThat(out).hasSize(mc.size());
        try (AdaptedModel m = AdaptedModel.open(adapter, null, 1)) {
            List<AdaptedModel.Input> ins = mc.subList(0, 31).stream()
                    .map(r -> new AdaptedModel.Input(r.getString(1), r.getString(2), null, (List<String>) r.get(4))).toList(); // the input rows hold Java lists
            List<AdaptedModel.Prediction> expected = m.predict(ins);
            for (int i = 0; i < 31; i++) {
                Row r = out.get(i);
                assertThat(r.isNullAt(6)).as("error of row %d: %s", i, r.get(6)).isTrue();
                Row p = r.getStruct(5);
                AdaptedModel.Prediction e = expected.get(i);
                if (i < 30) {
                    assertThat(p.getString(3)).as("row %d", i).isEqualTo(e.choice()).isIn((Object[]) choices[i % 3]);
                    assertThat(p.getInt(4)).isEqualTo(e.index());
                    List<Double> scores = p.getList(5);
                    assertThat(scores).hasSize(choices[i % 3].length);
                    for (int c = 0; c < scores.size(); c++) {
                        assertThat(scores.get(c)).isCloseTo(e.scores()[c], within(1e-5));
                    }
                    assertThat(p.isNullAt(0)).as("no label for a multiple-choice row").isTrue();
                } else {
                    assertThat(p.getString(0)).isEqualTo(e.label());
                    assertThat(p.isNullAt(3)).isTrue();
                    assertThat(p.isNullAt(5)).isTrue();
                }
            }
        }
        assertThat(out.get(31).getString(6)).contains("choices").contains("at least two");
        assertThat(out.get(32).getString(6)).contains("choices").contains("not multiple choice");
        assertThat(out.get(33).getString(6)).contains("choices[1]").contains("empty");
        for (int i = 31; i < 34; i++) {
            assertThat(out.get(i).isNullAt(5)).isTrue();
        }
    }

    @Test
    void aBadChoicesColumnFailsAtStartNamingIt() {
        assertThatThrownBy(() -> predictor().setChoicesCol("text").transform(rows)).hasMessageContaining("choicesCol 'text'")
                .hasMessageContaining("array<string>");
    }

    @Test
    void anAdapterOnAnotherFileSystemGivesTheSameEmbeddings() {
        Dataset<Row> some = rows.limit(40);
        List<Row> local = byId(embedder().transform(some));
        List<Row> copied = byId(embedder().setAdapterPath(OtherSchemeFileSystem.SCHEME + "://" + adapter).transform(some));
        assertThat(copied).hasSameSizeAs(local);
        for (int i = 0; i < local.size(); i++) {
            assertThat(copied.get(i).isNullAt(5)).as("error %s", copied.get(i).get(5)).isTrue();
            assertThat(((Vector) copied.get(i).get(4)).toArray()).containsExactly(((Vector) local.get(i).get(4)).toArray());
        }
    }

    @Test
    void badRowsLandInTheErrorColumn() {
        String longText = "word ".repeat(800);
        List<Row> bad = List.of(RowFactory.create(1L, "sst2", "", null), RowFactory.create(2L, "nope", "fine text", null),
                RowFactory.create(3L, "sst2", longText, null), RowFactory.create(4L, "sst2", "a good film", null), RowFactory.create(5L, null, "x", null));
        Dataset<Row> df = spark.createDataFrame(bad, SCHEMA);
        List<Row> p = byId(predictor().transform(df));
        assertThat(p.get(0).getString(5)).contains("text").contains("empty");
        assertThat(p.get(1).getString(5)).contains("nope");
        assertThat(p.get(2).getString(5)).contains("longer than the model's 512 tokens");
        assertThat(p.get(3).isNullAt(5)).isTrue();
        assertThat(p.get(3).getStruct(4).getString(0)).isNotNull();
        assertThat(p.get(4).getString(5)).contains("no task");
        for (int i : new int[] {0, 1, 2, 4}) {
            assertThat(p.get(i).isNullAt(4)).isTrue();
        }
        List<Row> e = byId(embedder().transform(df));
        assertThat(e.get(0).getString(5)).contains("empty");
        assertThat(e.get(1).getString(5)).contains("nope");
        assertThat(e.get(2).getString(5)).contains("longer");
        assertThat(e.get(3).isNullAt(5)).isTrue();
        assertThat(e.get(4).isNullAt(5)).as("no task: task-free embedding").isTrue();
    }

    @Test
    void aPipelineModelSavesAndLoads() throws Exception {
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {embedder().setErrorCol("embed_error"), predictor()})
                .fit(rows.filter("task is not null"));
        Path saved = dir.resolve("pipeline");
        model.write().overwrite().save(saved.toString());
        PipelineModel back = PipelineModel.load(saved.toString());
        assertThat(back.stages()).hasSize(2);
        assertThat(back.stages()[0]).isInstanceOf(MooreEmbedder.class);
        MoorePredictor p = (MoorePredictor) back.stages()[1];
        assertThat(p.getOrDefault(p.pairCol())).isEqualTo("pair");
        assertThat(p.getOrDefault(p.adapterPath())).isEqualTo(adapter.toString());
        Dataset<Row> small = rows.filter("task is not null").limit(40);
        List<Row> a = byId(model.transform(small));
        List<Row> b = byId(back.transform(small));
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(((Vector) b.get(i).get(4)).toArray()).containsExactly(((Vector) a.get(i).get(4)).toArray());
            assertThat(b.get(i).getStruct(6).getString(0)).isEqualTo(a.get(i).getStruct(6).getString(0));
        }
    }

    @Test
    void aFailedTaskAttemptIsRetriedWithTheSameOutput() {
        List<Row> plain = byId(embedder().transform(rows));
        Path marker = dir.resolve("failed-once");
        Dataset<Row> embedded = embedder().transform(rows);
        // the failure comes after the embedding, in the same stage: the retried attempt embeds its partition again
        Dataset<Row> failingOnce = spark.createDataFrame(embedded.javaRDD().mapPartitions(new FailOnce(marker.toString())), embedded.schema());
        List<Row> retried = byId(failingOnce);
        assertThat(marker).as("one task attempt failed on purpose").exists();
        assertThat(retried).hasSameSizeAs(plain);
        for (int i = 0; i < plain.size(); i++) {
            assertThat(((Vector) retried.get(i).get(4)).toArray()).containsExactly(((Vector) plain.get(i).get(4)).toArray());
        }
    }

    /** Passes a partition's rows on, except that the first attempt to see no marker file creates it and fails. */
    record FailOnce(String marker) implements org.apache.spark.api.java.function.FlatMapFunction<java.util.Iterator<Row>, Row> {
        @Override
        public java.util.Iterator<Row> call(java.util.Iterator<Row> it) throws Exception {
            List<Row> all = new ArrayList<>();
            it.forEachRemaining(all::add);
            try {
                Files.createFile(Path.of(marker));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return all.iterator();
            }
            throw new IllegalStateException("failing this task attempt once on purpose");
        }
    }
}
