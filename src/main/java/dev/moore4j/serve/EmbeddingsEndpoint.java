package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javalin.http.Context;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** {@code POST /v1/embeddings}, OpenAI-style: a string or an array of strings, routed by an optional task; float or base64 vectors. */
final class EmbeddingsEndpoint extends Endpoint {
    EmbeddingsEndpoint(Serving serving) {
        super("/v1/embeddings", serving);
    }

    @Override
    JsonNode answer(Context ctx) throws Exception {
        JsonNode body = serving.body(ctx);
        if (!model.isEncoder()) {
            throw new ApiException(400, "model", "model " + model.name() + " is a decoder: embeddings need an encoder");
        }
        String task = serving.optionalTask(body);
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) {
            throw new ApiException(400, "input", "missing: give a string or an array of strings");
        }
        List<String> texts = texts(input);
        if (texts.isEmpty()) {
            throw new ApiException(400, "input", "empty array");
        }
        if (texts.size() > options.limits().maxInputs()) {
            throw new ApiException(413, "input", texts.size() + " inputs; at most " + options.limits().maxInputs() + " per request");
        }
        String format = body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw new ApiException(400, "encoding_format", "must be 'float' or 'base64', got '" + format + "'");
        }
        if (body.has("dimensions") && !body.get("dimensions").isNull() && body.get("dimensions").asInt() != model.dimension()) {
            throw new ApiException(400, "dimensions", "this model embeds in " + model.dimension() + " dimensions only");
        }
        List<Batcher.EmbedItem> items = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            String field = input.isArray() ? "input[" + i + "]" : "input";
            if (t.isEmpty()) {
                throw new ApiException(400, field, "empty string");
            }
            tokens += serving.checkTokens(field, t, null);
            items.add(new Batcher.EmbedItem(t, task));
        }
        List<?> out = serving.await(Batcher.Job.embed(items, tokens));
        ObjectNode root = Requests.JSON.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < out.size(); i++) {
            float[] v = (float[]) out.get(i);
            ObjectNode d = data.addObject();
            d.put("object", "embedding");
            d.put("index", i);
            d.set("embedding", vector(v, format));
        }
        root.put("model", body.path("model").asText(model.name()));
        Requests.usage(root, tokens, 0);
        return root;
    }

    /** The {@code input} field: one string or an array of strings. */
    private static List<String> texts(JsonNode input) {
        List<String> texts = new ArrayList<>();
        if (input.isTextual()) {
            texts.add(input.asText());
        } else if (input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                if (!input.get(i).isTextual()) {
                    throw new ApiException(400, "input[" + i + "]", "not a string (token arrays are not supported: send text)");
                }
                texts.add(input.get(i).asText());
            }
        } else {
            throw new ApiException(400, "input", "must be a string or an array of strings");
        }
        return texts;
    }

    /** An embedding as OpenAI sends it: an array of floats, or base64 of their little-endian bytes. */
    private static JsonNode vector(float[] v, String format) {
        if (format.equals("base64")) {
            ByteBuffer buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                buf.putFloat(f);
            }
            return Requests.JSON.getNodeFactory().textNode(Base64.getEncoder().encodeToString(buf.array()));
        }
        ArrayNode a = Requests.JSON.createArrayNode();
        for (float f : v) {
            a.add(f);
        }
        return a;
    }
}
