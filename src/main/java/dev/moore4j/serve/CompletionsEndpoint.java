package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.api.AdaptedModel;

import io.javalin.http.Context;

import java.util.List;
import java.util.UUID;

/** {@code POST /v1/completions}, OpenAI-style, for a decoder: one prompt, whole or streamed as server-sent events. */
final class CompletionsEndpoint extends Endpoint {
    CompletionsEndpoint(Serving serving) {
        super("/v1/completions", serving);
    }

    @Override
    JsonNode answer(Context ctx) throws Exception {
        JsonNode body = serving.body(ctx);
        if (model.isEncoder()) {
            throw new ApiException(400, "model", "model " + model.name() + " is an encoder: completions need a decoder");
        }
        for (String unsupported : List.of("suffix", "logprobs", "echo", "best_of", "logit_bias")) {
            JsonNode v = body.get(unsupported);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean())) {
                throw new ApiException(400, unsupported, "not supported by this server");
            }
        }
        if (body.has("n") && body.get("n").asInt(1) != 1) {
            throw new ApiException(400, "n", "only n = 1 is supported");
        }
        JsonNode pn = body.get("prompt");
        String prompt;
        if (pn != null && pn.isArray() && pn.size() == 1 && pn.get(0).isTextual()) {
            prompt = pn.get(0).asText();
        } else if (pn != null && pn.isTextual()) {
            prompt = pn.asText();
        } else {
            throw new ApiException(400, "prompt", pn == null ? "missing" : "must be a string (or an array of one string)");
        }
        if (prompt.isEmpty()) {
            throw new ApiException(400, "prompt", "empty string");
        }
        int maxTokens = Requests.intField(body, "max_tokens", 16, 1, options.limits().maxCompletionTokens());
        String task = serving.optionalTask(body);
        int promptTokens = model.countTokens(prompt, null);
        if (promptTokens >= model.maxTokens()) {
            throw new ApiException(413, "prompt", promptTokens + " tokens; the model's context is " + model.maxTokens());
        }
        AdaptedModel.GenerateOptions go = Sampling.read(body, maxTokens, false);
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        String name = body.path("model").asText(model.name());
        long[] ids = model.tokenizer().encode(prompt);
        if (!body.path("stream").asBoolean(false)) {
            AdaptedModel.Completion c = serving.await(List.of(serving.complete(ids, go, task, null))).get(0);
            ObjectNode root = completionChunk(id, name, c.text(), c.finishReason());
            Requests.usage(root, c.promptTokens(), c.completionTokens());
            return root;
        }
        EventStream events = new EventStream();
        events.pump(ctx, serving, List.of(serving.complete(ids, go, task, events.sink(0))), List.of(),
                p -> completionChunk(id, name, p.text(), null).toString(), results -> {
                    AdaptedModel.Completion c = results.get(0);
                    ObjectNode last = completionChunk(id, name, "", c.finishReason());
                    Requests.usage(last, c.promptTokens(), c.completionTokens());
                    return List.of(last.toString());
                });
        return null;
    }

    ObjectNode completionChunk(String id, String name, String text, String finish) {
        ObjectNode root = Requests.JSON.createObjectNode();
        root.put("id", id);
        root.put("object", "text_completion");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", name);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", 0);
        choice.putNull("logprobs");
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return root;
    }
}
