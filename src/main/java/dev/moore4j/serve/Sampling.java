package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.api.AdaptedModel;

import java.util.ArrayList;
import java.util.List;

/** The sampling fields that completions and chat completions share, each checked against its domain (errors name the field). */
final class Sampling {
    /** At most this many stop strings, as OpenAI allows. */
    static final int MAX_STOPS = 4;

    private Sampling() {}

    /**
     * {@code temperature}, {@code top_p}, {@code seed} and {@code stop}; {@code maxTokens} as the caller read it (its field
     * differs between the two endpoints).
     */
    static AdaptedModel.GenerateOptions read(JsonNode body, int maxTokens, boolean logprobs) {
        float temperature = (float) Requests.numberField(body, "temperature", 1.0, 0, 2);
        float topP = (float) Requests.numberField(body, "top_p", 1.0, 1e-6, 1);
        long seed = body.has("seed") && !body.get("seed").isNull() ? Requests.longField(body, "seed") : 0;
        return new AdaptedModel.GenerateOptions(maxTokens, temperature, topP, seed, stop(body), logprobs);
    }

    /** {@code stop}: a string or a list of up to {@link #MAX_STOPS} non-empty strings. */
    static List<String> stop(JsonNode body) {
        JsonNode v = body.get("stop");
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray() && v.size() <= MAX_STOPS) {
            v.forEach(x -> out.add(x.isTextual() ? x.asText() : null));
        } else {
            throw new ApiException(400, "stop", "must be a string or a list of at most " + MAX_STOPS + " strings");
        }
        if (out.contains(null) || out.contains("")) {
            throw new ApiException(400, "stop", "must hold non-empty strings");
        }
        return out;
    }
}
