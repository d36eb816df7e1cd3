package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.Inputs;
import dev.moore4j.api.InvalidInput;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;

import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;

/** {@code POST /v1/predict}: inputs of one of the adapter's tasks through its head: labels with probabilities, values, or choices. */
final class PredictEndpoint extends Endpoint {
    PredictEndpoint(Serving serving) {
        super("/v1/predict", serving);
    }

    @Override
    JsonNode answer(Context ctx) throws Exception {
        JsonNode body = serving.body(ctx);
        if (model.tasks().isEmpty()) {
            throw new ApiException(400, "task", "model " + model.name() + " has no tasks (started with --model, not --adapter)");
        }
        JsonNode tn = body.get("task");
        if (tn == null || !tn.isTextual()) {
            throw new ApiException(400, "task", tn == null ? "missing" : "must be a string");
        }
        String task = serving.optionalTask(body);
        TaskSpec spec = model.task(task);
        JsonNode inputs = body.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw new ApiException(400, "inputs", inputs == null ? "missing: give an array of inputs" : "must be an array");
        }
        if (inputs.isEmpty()) {
            throw new ApiException(400, "inputs", "empty array");
        }
        if (inputs.size() > options.limits().maxInputs()) {
            throw new ApiException(413, "inputs", inputs.size() + " inputs; at most " + options.limits().maxInputs() + " per request");
        }
        List<AdaptedModel.Input> items = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String f = "inputs[" + i + "]";
            AdaptedModel.Input item = input(inputs.get(i), f, task, spec);
            tokens += tokens(item, f);
            items.add(item);
        }
        List<?> out = serving.await(Batcher.Job.predict(items, tokens));
        ObjectNode root = response(task, out);
        Requests.usage(root, tokens, 0);
        return root;
    }

    /** One input of the request, its JSON's shape read here (which keys, of which types); what it must hold is AdaptedModel.check's. */
    private AdaptedModel.Input input(JsonNode in, String f, String task, TaskSpec spec) {
        if (!in.isObject()) {
            throw new ApiException(400, f, "must be an object");
        }
        boolean choice = spec.kind() == TaskKind.MULTIPLE_CHOICE;
        String text = Requests.string(in, f + (choice ? ".question" : ".text"), false);
        AdaptedModel.Input item = new AdaptedModel.Input(task, text, choice ? null : Requests.string(in, f + ".pair", false), Requests.stringArray(in, f + ".choices"));
        try {
            Inputs.check(spec, item);
        } catch (InvalidInput e) {
            throw new ApiException(400, f + "." + e.field(), e.detail());
        }
        String stray = choice ? "text" : "question";
        if (in.has(stray)) {
            throw new ApiException(400, f + "." + stray, "task '" + task + "' is " + spec.kind().label() + ": give "
                    + (choice ? "'question' and 'choices'" : "'text' (and optionally 'pair')"));
        }
        return item;
    }

    /** The input's tokens, each sequence within the model's length (a choice question is one sequence per choice). */
    private int tokens(AdaptedModel.Input item, String f) {
        int tokens = 0;
        if (item.choices().isEmpty()) {
            tokens += serving.checkTokens(f, item.text(), item.pair());
        }
        for (int c = 0; c < item.choices().size(); c++) {
            tokens += serving.checkTokens(f + ".choices[" + c + "]", item.text(), item.choices().get(c));
        }
        return tokens;
    }

    private ObjectNode response(String task, List<?> out) {
        ObjectNode root = Requests.JSON.createObjectNode();
        root.put("object", "list");
        root.put("model", model.name());
        root.put("task", task);
        ArrayNode data = root.putArray("predictions");
        for (int i = 0; i < out.size(); i++) {
            AdaptedModel.Prediction p = (AdaptedModel.Prediction) out.get(i);
            ObjectNode d = data.addObject();
            d.put("index", i);
            if (p.label() != null) {
                d.put("label", p.label());
                d.set("probabilities", Requests.JSON.valueToTree(p.probabilities()));
            } else if (p.value() != null) {
                d.put("value", p.value());
            } else {
                d.put("choice", p.choice());
                d.put("choice_index", p.index());
                d.set("scores", Requests.JSON.valueToTree(p.scores()));
            }
        }
        return root;
    }
}
