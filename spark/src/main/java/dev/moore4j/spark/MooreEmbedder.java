package dev.moore4j.spark;

import dev.moore4j.api.AdaptedModel;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * Text column → embedding column (an ML dense vector): the mean-pooled, L2-normalised last hidden state of the
 * adapted encoder, each row routed as its task (or task-free), exactly as {@code moore embed --adapter} computes it.
 *
 * <pre>{@code
 * Dataset<Row> out = new MooreEmbedder().setAdapterPath("runs/nlu/best").setTaskCol("task").transform(df);
 * }</pre>
 */
public final class MooreEmbedder extends MooreTransformer<MooreEmbedder> {
    public MooreEmbedder() {
        this(Identifiable$.MODULE$.randomUID("mooreEmbedder"));
    }

    public MooreEmbedder(String uid) {
        super(uid, "embedding");
    }

    /** How {@code PipelineModel.load} (and {@link #load}) reads a saved embedder back. */
    public static MLReader<MooreEmbedder> read() {
        return new DefaultParamsReader<>();
    }

    public static MooreEmbedder load(String path) {
        return read().load(path);
    }

    @Override
    DataType outputType() {
        return SQLDataTypes.VectorType();
    }

    /** One row to embed. */
    record Text(String text, String task) implements java.io.Serializable {}

    @Override
    RowModel rowModel(StructType schema) {
        int text = schema.fieldIndex(str(inputCol));
        int taskIndex = str(taskCol).isEmpty() ? -1 : schema.fieldIndex(str(taskCol));
        String fixed = str(task);
        return new Rows(text, taskIndex, fixed);
    }

    private record Rows(int text, int taskIndex, String fixed) implements RowModel {
        @Override
        public Object input(AdaptedModel m, Row row) {
            String t = row.getString(text);
            if (t == null || t.isEmpty()) {
                throw new IllegalArgumentException("text: " + (t == null ? "missing" : "empty"));
            }
            String task = taskOf(row, taskIndex, fixed);
            if (task != null) {
                m.task(task); // an unknown task fails here, naming the adapter's tasks
            }
            checkLength(m, t, null);
            return new Text(t, task);
        }

        @Override
        public List<Object> run(AdaptedModel m, List<Object> inputs) {
            List<String> texts = new ArrayList<>();
            List<String> tasks = new ArrayList<>();
            for (Object o : inputs) {
                Text x = (Text) o;
                texts.add(x.text());
                tasks.add(x.task());
            }
            float[][] e = m.embed(texts, tasks);
            List<Object> out = new ArrayList<>();
            for (float[] v : e) {
                double[] d = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    d[i] = v[i];
                }
                out.add(Vectors.dense(d));
            }
            return out;
        }
    }
}
