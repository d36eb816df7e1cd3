package dev.moore4j.spark;

import dev.moore4j.MooreException;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code moore spark embed|predict}: applies an adapter (or a base model) to a file of texts with Apache Spark,
 * embedded on {@code local[*]} by default, or on a cluster given {@code --master} (or by {@code spark-submit}).
 * Reads Parquet, CSV (with a header) or JSON Lines; writes Parquet, or JSON Lines when the output ends in
 * {@code .jsonl}, one object per input row with its id, written next to the output and renamed into place.
 */
@Command(name = "moore spark", mixinStandardHelpOptions = true, subcommands = {SparkMain.Embed.class, SparkMain.Predict.class},
        description = "Apply an adapter to a corpus with Apache Spark (embedded local[*] by default, or a cluster with --master).")
public final class SparkMain implements Runnable {
    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "give a subcommand: embed or predict");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line; user errors print one line and return 2. */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            Throwable t = e;
            while (t.getCause() != null && !(t instanceof MooreException) && !(t instanceof IllegalArgumentException) && !(t instanceof AnalysisException)) {
                t = t.getCause();
            }
            if (t instanceof MooreException || t instanceof IllegalArgumentException || t instanceof AnalysisException) {
                System.err.println("error: " + t.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }

    /** The {@code moore spark} command line as {@link #execute} parses it. */
    static CommandLine commandLine() {
        return new CommandLine(new SparkMain());
    }

    /** The options of both commands. */
    static final class Common {
        @Option(names = "--adapter", paramLabel = "DIR", description = "Adapter directory (from moore train), local or hdfs://, s3a://…")
        String adapter;

        @Option(names = "--model", description = "Base model (minilm, a Hugging Face directory…): alone, the model itself; with --adapter, a "
                + "replacement for its recorded base with the same weights.")
        String model;

        @Option(names = "--input", required = true, description = "Parquet (file or directory), CSV with a header, or JSON Lines (.jsonl, .json).")
        String input;

        @Option(names = "--output", required = true, description = "Parquet directory, or JSON Lines file when it ends in .jsonl.")
        String output;

        @Option(names = "--overwrite", description = "Replace an existing output.")
        boolean overwrite;

        @Option(names = "--task", description = "Task of every row (default: the task column, else task-free).")
        String task;

        @Option(names = "--task-col", description = "Column with each row's task.")
        String taskCol;

        @Option(names = "--text-col", defaultValue = "text", description = "Text column. Default: ${DEFAULT-VALUE}.")
        String textCol;

        @Option(names = "--id-col", defaultValue = "id", description = "Row id column; added (0, 1, … in input order) when the input has none. "
                + "Default: ${DEFAULT-VALUE}.")
        String idCol;

        @Option(names = "--master", description = "Spark master (spark://host:7077, local[4]…). Default: local[*], or spark-submit's.")
        String master;

        @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting (repeatable), e.g. --conf "
                + "spark.executor.memoryOverhead=1g.")
        List<String> conf = new java.util.ArrayList<>();

        @Option(names = "--partitions", defaultValue = "0", description = "Repartition the input into N partitions (0: as read).")
        int partitions;

        @Option(names = "--batch-size", defaultValue = "256", description = "Rows per model call. Default: ${DEFAULT-VALUE}.")
        int batchSize;

        @Option(names = "--threads-per-executor", defaultValue = "0", description = "Compute threads of each executor's model (0: the "
                + "executor's cores).")
        int threads;

        @Option(names = "--json", description = "Print a JSON summary (rows, errors, seconds, rows/s) on stdout.")
        boolean json;
    }

    @Command(name = "embed", mixinStandardHelpOptions = true, description = "Text column -> embedding (array of floats) and error columns.")
    static final class Embed implements Callable<Integer> {
        @Mixin
        Common c;

        @Override
        public Integer call() {
            MooreEmbedder e = new MooreEmbedder().setInputCol(c.textCol).setOutputCol("embedding").setBatchSize(c.batchSize).setThreadsPerExecutor(c.threads);
            configure(e, c);
            // as an array of floats, which every Parquet and JSON reader understands (an ML vector is Spark's own struct)
            return run(c, e, df -> df.withColumn("embedding", functions.when(functions.col("embedding").isNull(), functions.lit(null))
                    .otherwise(org.apache.spark.ml.functions.vector_to_array(functions.col("embedding"), "float32"))));
        }
    }

    @Command(name = "predict", mixinStandardHelpOptions = true, description = "Text (pair, choices) columns -> prediction struct (label, "
            + "probabilities, value, choice, index, scores) and error columns, as /v1/predict answers.")
    static final class Predict implements Callable<Integer> {
        @Mixin
        Common c;

        @Option(names = "--pair-col", description = "Column with the second text of pair tasks.")
        String pairCol;

        @Option(names = "--choices-col", description = "array<string> column with the choices of multiple-choice tasks.")
        String choicesCol;

        @Override
        public Integer call() {
            MoorePredictor p = new MoorePredictor().setInputCol(c.textCol).setBatchSize(c.batchSize).setThreadsPerExecutor(c.threads);
            if (pairCol != null) {
                p.setPairCol(pairCol);
            }
            if (choicesCol != null) {
                p.setChoicesCol(choicesCol);
            }
            configure(p, c);
            return run(c, p, df -> df);
        }
    }

    private static void configure(MooreTransformer<?> t, Common c) {
        if (c.adapter == null && c.model == null) {
            throw new MooreException("give --adapter DIR (or --model MODEL for a base model)");
        }
        if (c.adapter != null) {
            t.put(t.adapterPath, absolute(c.adapter));
        }
        if (c.model != null) {
            t.put(t.baseModel, c.model);
        }
        if (c.task != null) {
            t.put(t.task, c.task);
        }
        if (c.taskCol != null) {
            t.put(t.taskCol, c.taskCol);
        }
    }

    private interface Finish {
        Dataset<Row> apply(Dataset<Row> df);
    }

    private static int run(Common c, MooreTransformer<?> t, Finish finish) {
        Path out = Path.of(c.output).toAbsolutePath().normalize();
        if (Files.exists(out) && !c.overwrite) {
            throw new MooreException(out + ": exists already (give --overwrite to replace it)");
        }
        SparkSession.Builder b = SparkSession.builder().appName("moore spark");
        if (c.master != null) {
            b.master(c.master);
        } else if (System.getProperty("spark.master") == null) {
            b.master("local[*]");
        }
        for (String kv : c.conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new MooreException("--conf " + kv + ": give KEY=VALUE");
            }
            b.config(kv.substring(0, eq), kv.substring(eq + 1));
        }
        SparkSession spark = b.config("spark.ui.showConsoleProgress", "false").getOrCreate();
        try {
            long start = System.nanoTime();
            Dataset<Row> df = withIds(read(spark, absolute(c.input)), c.idCol);
            if (c.partitions > 0) {
                df = df.repartition(c.partitions);
            }
            Dataset<Row> result = finish.apply(t.transform(df));
            if (c.output.endsWith(".jsonl")) {
                // one file in id order: a shuffle into one partition, then a local sort (a global orderBy would run the
                // model twice, once more to sample the range boundaries)
                result = result.repartition(1).sortWithinPartitions(c.idCol);
            }
            write(result, out, c.overwrite);
            Dataset<Row> back = c.output.endsWith(".jsonl") ? spark.read().json(out.toString()) : spark.read().parquet(out.toString());
            long rows = back.count();
            long errors = back.filter(functions.col(t.str(t.errorCol)).isNotNull()).count();
            double seconds = (System.nanoTime() - start) / 1e9;
            String summary = String.format(Locale.ROOT, "{\"rows\":%d,\"errors\":%d,\"seconds\":%.2f,\"rows_per_second\":%.1f,\"output\":\"%s\"}",
                    rows, errors, seconds, rows / seconds, out.toString().replace("\\", "\\\\").replace("\"", "\\\""));
            System.err.printf(Locale.ROOT, "moore spark: %d rows (%d with an error) in %.1f s, %.1f rows/s -> %s%n", rows, errors, seconds, rows / seconds, out);
            if (c.json) {
                System.out.println(summary);
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** A local path made absolute (executors resolve relative paths against their own working directories); a URI as is. */
    static String absolute(String path) {
        return path.contains("://") ? path : Path.of(path).toAbsolutePath().normalize().toString();
    }

    static Dataset<Row> read(SparkSession spark, String input) {
        String lower = input.toLowerCase(Locale.ROOT);
        Path p = Path.of(input);
        if (!input.contains("://") && !Files.exists(p)) {
            throw new MooreException(input + ": no such file or directory");
        }
        if (lower.endsWith(".csv")) {
            return spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(input);
        }
        if (lower.endsWith(".jsonl") || lower.endsWith(".json") || lower.endsWith(".ndjson")) {
            return spark.read().json(input);
        }
        if (lower.endsWith(".parquet") || Files.isDirectory(p)) {
            return spark.read().parquet(input);
        }
        throw new MooreException(input + ": unknown format (use .parquet, .csv with a header, or .jsonl)");
    }

    /** The input with its id column: kept when present, else 0, 1, … in input order. */
    static Dataset<Row> withIds(Dataset<Row> df, String idCol) {
        if (List.of(df.columns()).contains(idCol)) {
            return df;
        }
        StructType schema = new StructType().add(idCol, DataTypes.LongType, false);
        for (var f : df.schema().fields()) {
            schema = schema.add(f);
        }
        JavaRDD<Row> rows = df.javaRDD().zipWithIndex().map(t -> {
            Object[] v = new Object[t._1().size() + 1];
            v[0] = t._2();
            for (int i = 0; i < t._1().size(); i++) {
                v[i + 1] = t._1().get(i);
            }
            return RowFactory.create(v);
        });
        return df.sparkSession().createDataFrame(rows, schema);
    }

    /** Writes beside the output and renames it into place, so a failed job leaves no half-written output. */
    static void write(Dataset<Row> df, Path out, boolean overwrite) {
        Path abs = out.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteTree(tmp);
            if (out.toString().endsWith(".jsonl")) {
                df.write().option("ignoreNullFields", "false").json(tmp.toString()); // one partition (run), so one part file
                Path part;
                try (Stream<Path> s = Files.list(tmp)) {
                    part = s.filter(f -> f.getFileName().toString().startsWith("part-")).findFirst()
                            .orElseThrow(() -> new MooreException(tmp + ": Spark wrote no part file"));
                }
                Path file = abs.resolveSibling("." + abs.getFileName() + ".part-" + ProcessHandle.current().pid());
                Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
                if (overwrite) {
                    deleteTree(abs);
                }
                Files.move(file, abs, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(tmp);
            } else {
                df.write().parquet(tmp.toString());
                if (overwrite) {
                    deleteTree(abs);
                }
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new MooreException(out + ": cannot write: " + e.getMessage());
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the first error is the one to report
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
