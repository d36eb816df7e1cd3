package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.moore4j.MooreException;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code moore predict}: runs an adapter on texts given on the command line. */
@Command(name = "predict", description = "Predict with an adapter checkpoint: a label, a value or a choice per TEXT.")
public final class PredictCommand implements Runnable {
    @Mixin
    Common common;

    @Option(names = "--adapter", required = true, description = "Checkpoint directory.")
    Path adapter;

    @Option(names = "--task", required = true, description = "Task to predict for (its id routes the adapter, its head scores).")
    String task;

    @Option(names = "--pair", description = "Second text of a sentence pair, for every TEXT.")
    String pair;

    @Option(names = "--choices", split = "\\|", description = "Multiple choice: the candidate answers, separated by '|'.")
    List<String> choices;

    @Option(names = "--model", description = "Base model to load instead of the recorded one (must have the same weights).")
    String model;

    @Parameters(arity = "1..*", description = "Texts (sentences, or questions for multiple choice).")
    List<String> texts;

    @Override
    public void run() {
        try (NDManager m = common.manager(); Pipeline.Opened o = Pipeline.open(adapter, model, m); NDScope scope = new NDScope()) {
            TaskModel tm = o.model();
            TaskSpec spec = tm.tasks().get(tm.taskId(task));
            if (spec.kind() == TaskKind.MULTIPLE_CHOICE && (choices == null || choices.size() < 2)) {
                throw new MooreException("task '" + task + "' is multiple choice: give at least two --choices 'a|b'");
            }
            if (spec.kind() != TaskKind.MULTIPLE_CHOICE && choices != null) {
                throw new MooreException("task '" + task + "' is " + spec.kind().label() + ": --choices does not apply");
            }
            List<Example> ex = new ArrayList<>();
            for (String t : texts) {
                ex.add(new Example(spec.name(), t, pair, choices, 0, Float.NaN, "command line"));
            }
            List<TaskModel.Prediction> preds = tm.predict(ex, m, false);
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < ex.size(); i++) {
                TaskModel.Prediction p = preds.get(i);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("text", texts.get(i));
                switch (spec.kind()) {
                    case REGRESSION -> row.put("value", p.value());
                    case CLASSIFICATION -> {
                        row.put("label", spec.labels().get(p.predicted()));
                        Map<String, Double> probs = new LinkedHashMap<>();
                        for (int c = 0; c < p.scores().length; c++) {
                            probs.put(spec.labels().get(c), p.scores()[c]);
                        }
                        row.put("probabilities", probs);
                    }
                    case MULTIPLE_CHOICE -> {
                        row.put("choice", choices.get(p.predicted()));
                        row.put("scores", p.scores());
                    }
                }
                out.add(row);
            }
            if (common.json) {
                common.printJson(Map.of("task", spec.name(), "predictions", out));
            } else {
                for (Map<String, Object> row : out) {
                    Object answer = row.containsKey("label") ? row.get("label") : row.containsKey("choice") ? row.get("choice") : row.get("value");
                    System.out.println(answer + "\t" + row.get("text"));
                }
            }
        }
    }
}
