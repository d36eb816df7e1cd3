package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.api.AdaptedModel;

import io.javalin.http.Context;

/** {@code GET /v1/models}: the one model served, its kind, endpoints and tasks. */
final class ModelsEndpoint extends Endpoint {
    ModelsEndpoint(Serving serving) {
        super("/v1/models", serving);
    }

    @Override
    JsonNode answer(Context ctx) throws Exception {
        ObjectNode root = Requests.JSON.createObjectNode();
        root.put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", model.name());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "moore4j");
        m.put("kind", model.isEncoder() ? "encoder" : "decoder");
        m.put("family", model.model().family());
        ArrayNode endpoints = m.putArray("endpoints");
        if (model.isEncoder()) {
            endpoints.add("/v1/embeddings");
        } else {
            endpoints.add("/v1/completions");
        }
        if (!model.tasks().isEmpty()) {
            endpoints.add("/v1/predict");
        }
        ArrayNode tasks = m.putArray("tasks");
        for (AdaptedModel.TaskInfo t : model.tasks()) {
            ObjectNode tn = tasks.addObject();
            tn.put("name", t.name());
            tn.put("kind", t.kind());
            tn.set("labels", Requests.JSON.valueToTree(t.labels()));
        }
        return root;
    }
}
