package dev.moore4j.spark;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.Inputs;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

import scala.collection.JavaConverters;

/**
 * Text (and pair, or question and choices) columns → a prediction struct, as {@code /v1/predict} and
 * {@code moore predict} answer: {@code label} and {@code probabilities} for classification, {@code value} for
 * regression, {@code choice}, {@code index} and the per-choice {@code scores} for multiple choice. Rows of different
 * tasks share forward passes.
 *
 * <pre>{@code
 * Dataset<Row> out = new MoorePredictor().setAdapterPath("runs/nlu/best").setTaskCol("task").setPairCol("pair").transform(df);
 * }</pre>
 */
public final class MoorePredictor extends MooreTransformer<MoorePredictor> {
    final Param<String> pairCol;
    final Param<String> choicesCol;

    /** The prediction struct's type. */
    static final StructType PREDICTION = new StructType()
            .add("label", DataTypes.StringType, true)
            .add("probabilities", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType), true)
            .add("value", DataTypes.DoubleType, true)
            .add("choice", DataTypes.StringType, true)
            .add("index", DataTypes.IntegerType, true)
            .add("scores", DataTypes.createArrayType(DataTypes.DoubleType, false), true);

    public MoorePredictor() {
        this(Identifiable$.MODULE$.randomUID("moorePredictor"));
    }

    public MoorePredictor(String uid) {
        super(uid, "prediction");
        pairCol = new Param<>(this, "pairCol", "column with the second text of a pair task (null or empty for single texts)");
        choicesCol = new Param<>(this, "choicesCol", "array<string> column with the choices of a multiple-choice task");
        setDefault(pairCol, "");
        setDefault(choicesCol, "");
    }

    public static MLReader<MoorePredictor> read() {
        return new DefaultParamsReader<>();
    }

    public static MoorePredictor load(String path) {
        return read().load(path);
    }

    public Param<String> pairCol() {
        return pairCol;
    }

    public Param<String> choicesCol() {
        return choicesCol;
    }

    public MoorePredictor setPairCol(String v) {
        return put(pairCol, v);
    }

    public MoorePredictor setChoicesCol(String v) {
        return put(choicesCol, v);
    }

    @Override
    DataType outputType() {
        return PREDICTION;
    }

    @Override
    void checkInputs(StructType schema) {
        super.checkInputs(schema);
        if (!str(pairCol).isEmpty()) {
            requireString(schema, str(pairCol));
        }
        if (!str(choicesCol).isEmpty()) {
            String c = str(choicesCol);
            if (!List.of(schema.fieldNames()).contains(c) || !schema.apply(c).dataType().equals(DataTypes.createArrayType(DataTypes.StringType, true))
                    && !schema.apply(c).dataType().equals(DataTypes.createArrayType(DataTypes.StringType, false))) {
                throw new IllegalArgumentException("moore4j-spark: choicesCol '" + c + "' must be an array<string> column of " + schema.simpleString());
            }
        }
    }

    @Override
    RowModel rowModel(StructType schema) {
        return new Rows(schema.fieldIndex(str(inputCol)), str(taskCol).isEmpty() ? -1 : schema.fieldIndex(str(taskCol)), str(task),
                str(pairCol).isEmpty() ? -1 : schema.fieldIndex(str(pairCol)), str(choicesCol).isEmpty() ? -1 : schema.fieldIndex(str(choicesCol)));
    }

    private record Rows(int text, int taskIndex, String fixed, int pair, int choices) implements RowModel {
        @Override
        public Object input(AdaptedModel m, Row row) {
            String task = taskOf(row, taskIndex, fixed);
            if (task == null) {
                throw new MooreException("no task for this row (set task, or taskCol with a task in every row)");
            }
            String p = pair >= 0 ? row.getString(pair) : null;
            List<String> cs = choices >= 0 && !row.isNullAt(choices) ? JavaConverters.seqAsJavaList(row.getSeq(choices)) : null;
            AdaptedModel.Input in = new AdaptedModel.Input(task, row.getString(text), p == null || p.isEmpty() ? null : p, cs);
            Inputs.check(m.task(task), in);
            if (in.choices().isEmpty()) {
                checkLength(m, in.text(), in.pair());
            } else {
                for (String c : in.choices()) {
                    checkLength(m, in.text(), c);
                }
            }
            return in;
        }

        @Override
        public List<Object> run(AdaptedModel m, List<Object> inputs) {
            List<AdaptedModel.Input> ins = new ArrayList<>();
            inputs.forEach(o -> ins.add((AdaptedModel.Input) o));
            List<Object> out = new ArrayList<>();
            for (AdaptedModel.Prediction p : m.predict(ins)) {
                out.add(RowFactory.create(p.label(), p.probabilities() == null ? null : JavaConverters.mapAsScalaMap(p.probabilities()),
                        p.value(), p.choice(), p.index(), p.scores() == null ? null : JavaConverters.asScalaBuffer(
                                java.util.Arrays.stream(p.scores()).boxed().toList()).toSeq()));
            }
            return out;
        }
    }
}
