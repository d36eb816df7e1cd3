package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.Inputs;
import dev.moore4j.api.InvalidInput;
import dev.moore4j.task.TaskSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code moore predict}: runs an adapter on texts given on the command line. */
@Command(name = "predict", description = "Predict with an adapter checkpoint: a label, a value or a choice per TEXT.")
public final class PredictCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Option(names = "--task", required = true, description = "Task to predict for (its id routes the adapter, its head scores).")
    String task;

    @Option(names = "--pair", description = "Second text of a sentence pair, for every TEXT.")
    String pair;

    @Option(names = "--choices", split = "\\|", description = "Multiple choice: the candidate answers, separated by '|'.")
    List<String> choices;

    @Parameters(arity = "1..*", description = "Texts (sentences, or questions for multiple choice).")
    List<String> texts;

    @Override
    public void run() {
        try (AdaptedModel m = source.openAdapter(common, "predict")) {
            TaskSpec spec = m.task(task);
            List<AdaptedModel.Input> inputs = new ArrayList<>();
            for (String t : texts) {
                AdaptedModel.Input in = new AdaptedModel.Input(spec.name(), t, pair, choices);
                try {
                    Inputs.check(spec, in);
                } catch (InvalidInput e) {
                    String flag = e.field().startsWith("choices") ? "--choices" : e.field().equals("pair") ? "--pair" : "TEXT";
                    throw new MooreException(flag + ": " + e.detail());
                }
                inputs.add(in);
            }
            List<AdaptedModel.Prediction> preds = m.predict(inputs);
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < preds.size(); i++) {
                AdaptedModel.Prediction p = preds.get(i);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("text", texts.get(i));
                if (p.label() != null) {
                    row.put("label", p.label());
                    row.put("probabilities", p.probabilities());
                } else if (p.value() != null) {
                    row.put("value", p.value());
                } else {
                    row.put("choice", p.choice());
                    row.put("scores", p.scores());
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
