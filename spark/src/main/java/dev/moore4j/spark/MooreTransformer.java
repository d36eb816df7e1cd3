package dev.moore4j.spark;

import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.BatchRetry;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * What {@link MooreEmbedder} and {@link MoorePredictor} share: the model (an adapter directory, or a base model),
 * the task (one for all rows, or a per-row column), the input and output columns, the batch size and the threads
 * of each executor's model; and the partition loop. Each partition is cut into batches of {@code batchSize} rows;
 * a batch's valid rows go through the model together, whatever their tasks (the model orders them by length and
 * shares forward passes across tasks, as the server does); a row the model cannot take (empty text, unknown task,
 * too long) gets a null output and a message in the error column instead of failing the job.
 */
public abstract class MooreTransformer<T extends MooreTransformer<T>> extends Transformer implements DefaultParamsWritable {
    private final String uid;
    final Param<String> adapterPath;
    final Param<String> baseModel;
    final Param<String> task;
    final Param<String> taskCol;
    final Param<String> inputCol;
    final Param<String> outputCol;
    final Param<String> errorCol;
    final IntParam batchSize;
    final IntParam threadsPerExecutor;

    MooreTransformer(String uid, String output) {
        this.uid = uid;
        adapterPath = new Param<>(this, "adapterPath", "adapter directory (from moore train), local or on any Hadoop-compatible file system");
        baseModel = new Param<>(this, "baseModel", "base model reference (minilm, a Hugging Face directory…): without adapterPath, the model "
                + "itself; with it, a replacement for the adapter's recorded base with the same weights");
        task = new Param<>(this, "task", "the task of every row (ignored when taskCol is set); empty: task-free");
        taskCol = new Param<>(this, "taskCol", "column holding each row's task (null or empty: task-free)");
        inputCol = new Param<>(this, "inputCol", "text column (for multiple choice, the question)");
        outputCol = new Param<>(this, "outputCol", "output column");
        errorCol = new Param<>(this, "errorCol", "column for a row's error (null when the row succeeded)");
        batchSize = new IntParam(this, "batchSize", "rows per model call", ParamValidators.gt(0));
        threadsPerExecutor = new IntParam(this, "threadsPerExecutor", "compute threads of each executor's model (0: spark.executor.cores, "
                + "else all the executor machine's cores)", ParamValidators.gtEq(0));
        setDefault(adapterPath, "");
        setDefault(baseModel, "");
        setDefault(task, "");
        setDefault(taskCol, "");
        setDefault(inputCol, "text");
        setDefault(outputCol, output);
        setDefault(errorCol, "error");
        setDefault(batchSize, 256);
        setDefault(threadsPerExecutor, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark lists a stage's params through public no-argument methods returning a Param (Params.params)
    public Param<String> adapterPath() {
        return adapterPath;
    }

    public Param<String> baseModel() {
        return baseModel;
    }

    public Param<String> task() {
        return task;
    }

    public Param<String> taskCol() {
        return taskCol;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam threadsPerExecutor() {
        return threadsPerExecutor;
    }

    String str(Param<String> p) {
        return getOrDefault(p);
    }

    int integer(IntParam p) {
        return (Integer) getOrDefault(p);
    }

    @SuppressWarnings("unchecked")
    T put(Param<?> p, Object value) {
        set((Param<Object>) p, value);
        return (T) this;
    }

    public T setAdapterPath(String v) {
        return put(adapterPath, v);
    }

    public T setBaseModel(String v) {
        return put(baseModel, v);
    }

    public T setTask(String v) {
        return put(task, v);
    }

    public T setTaskCol(String v) {
        return put(taskCol, v);
    }

    public T setInputCol(String v) {
        return put(inputCol, v);
    }

    public T setOutputCol(String v) {
        return put(outputCol, v);
    }

    public T setErrorCol(String v) {
        return put(errorCol, v);
    }

    public T setBatchSize(int v) {
        return put(batchSize, v);
    }

    public T setThreadsPerExecutor(int v) {
        return put(threadsPerExecutor, v);
    }

    /** The output column's type. */
    abstract org.apache.spark.sql.types.DataType outputType();

    /** The input columns this transformer reads, each with a check of its type (for a clear error before any work). */
    void checkInputs(StructType schema) {
        requireString(schema, str(inputCol));
        if (!str(taskCol).isEmpty()) {
            requireString(schema, str(taskCol));
        }
    }

    static void requireString(StructType schema, String col) {
        if (!List.of(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException("moore4j-spark: no column '" + col + "' in " + schema.simpleString());
        }
        if (!schema.apply(col).dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("moore4j-spark: column '" + col + "' is " + schema.apply(col).dataType().simpleString() + ", not string");
        }
    }

    @Override
    public StructType transformSchema(StructType schema) {
        checkInputs(schema);
        for (String c : List.of(str(outputCol), str(errorCol))) {
            if (List.of(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("moore4j-spark: output column '" + c + "' exists already in " + schema.simpleString());
            }
        }
        return schema.add(new StructField(str(outputCol), outputType(), true, org.apache.spark.sql.types.Metadata.empty()))
                .add(new StructField(str(errorCol), DataTypes.StringType, true, org.apache.spark.sql.types.Metadata.empty()));
    }

    /** The per-row work, serialisable to the executors: validate a row, and run the valid ones of a batch. */
    interface RowModel extends Serializable {
        /** The row's input, or throws {@link dev.moore4j.MooreException} (or IllegalArgumentException) saying why it is refused. */
        Object input(AdaptedModel model, Row row);

        /** Outputs for the inputs, in order (each a Spark value of the output type). */
        List<Object> run(AdaptedModel model, List<Object> inputs);
    }

    abstract RowModel rowModel(StructType schema);

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        JavaRDD<Row> rows = df.javaRDD().mapPartitions(new Partition(rowModel(df.schema()), str(adapterPath), str(baseModel), integer(batchSize),
                integer(threadsPerExecutor)));
        return df.sparkSession().createDataFrame(rows, out);
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** The partition loop. */
    record Partition(RowModel model, String adapter, String base, int batch, int threads) implements FlatMapFunction<Iterator<Row>, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> it) throws Exception {
            if (!it.hasNext()) {
                return List.<Row>of().iterator();
            }
            AdaptedModel m = ExecutorModels.get(new ExecutorModels.Key(adapter.isEmpty() ? null : adapter, base.isEmpty() ? null : base,
                    threads > 0 ? threads : executorCores()));
            return new Iterator<>() {
                private Iterator<Row> ready = List.<Row>of().iterator();

                @Override
                public boolean hasNext() {
                    if (!ready.hasNext() && it.hasNext()) {
                        List<Row> part = new ArrayList<>();
                        while (it.hasNext() && part.size() < batch) {
                            part.add(it.next());
                        }
                        ready = apply(m, part).iterator();
                    }
                    return ready.hasNext();
                }

                @Override
                public Row next() {
                    hasNext();
                    return ready.next();
                }
            };
        }

        private List<Row> apply(AdaptedModel m, List<Row> part) {
            Object[] outputs = new Object[part.size()];
            String[] errors = new String[part.size()];
            List<Object> inputs = new ArrayList<>();
            List<Integer> at = new ArrayList<>();
            for (int i = 0; i < part.size(); i++) {
                try {
                    inputs.add(model.input(m, part.get(i)));
                    at.add(i);
                } catch (RuntimeException e) {
                    errors[i] = message(e);
                }
            }
            if (!inputs.isEmpty()) {
                // one row the checks let through may break the batch: then only that row fails
                List<BatchRetry.Outcome<Object>> res = BatchRetry.run(inputs, in -> model.run(m, in));
                for (int j = 0; j < at.size(); j++) {
                    if (res.get(j) instanceof BatchRetry.Outcome.Failed<Object> f) {
                        errors[at.get(j)] = message(f.error());
                    } else {
                        outputs[at.get(j)] = ((BatchRetry.Outcome.Done<Object>) res.get(j)).value();
                    }
                }
            }
            List<Row> out = new ArrayList<>(part.size());
            for (int i = 0; i < part.size(); i++) {
                Row r = part.get(i);
                Object[] values = new Object[r.size() + 2];
                for (int c = 0; c < r.size(); c++) {
                    values[c] = r.get(c);
                }
                values[r.size()] = outputs[i];
                values[r.size() + 1] = errors[i];
                out.add(RowFactory.create(values));
            }
            return out;
        }

        private static String message(RuntimeException e) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        }

        private static int executorCores() {
            SparkEnv env = SparkEnv.get();
            int cores = env == null ? 0 : env.conf().getInt("spark.executor.cores", 0);
            return cores > 0 ? cores : Runtime.getRuntime().availableProcessors();
        }
    }

    /** The row's task: the task column's value, else the fixed task; null for task-free. */
    static String taskOf(Row row, int taskIndex, String fixed) {
        String t = taskIndex >= 0 ? row.getString(taskIndex) : fixed;
        return t == null || t.isEmpty() ? null : t;
    }

    /** Refuses an input longer than the model takes (the model would cut it short and answer about a different text). */
    static void checkLength(AdaptedModel m, String text, String pair) {
        if (m.countTokensWithin(text, pair) < 0) {
            throw new IllegalArgumentException("input longer than the model's " + m.maxTokens() + " tokens");
        }
    }
}
