package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/** Reading the fields of a JSON request (every refusal a 400 naming the field) and writing the shared parts of answers. */
final class Requests {
    static final ObjectMapper JSON = new ObjectMapper();

    private Requests() {}

    /** A string field of an object: refused when of another type, or missing/empty where required. */
    static String string(JsonNode obj, String field, boolean required) {
        String name = field.substring(field.lastIndexOf('.') + 1);
        JsonNode v = obj.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ApiException(400, field, "missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new ApiException(400, field, "must be a string");
        }
        if (v.asText().isEmpty()) {
            throw new ApiException(400, field, "empty string");
        }
        return v.asText();
    }

    /** An array-of-strings field (null when absent): refused when not an array or an element is not a string. */
    static List<String> stringArray(JsonNode obj, String field) {
        JsonNode v = obj.get(field.substring(field.lastIndexOf('.') + 1));
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw new ApiException(400, field, "must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new ApiException(400, field + "[" + i + "]", "must be a string");
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    static int intField(JsonNode body, String f, int dflt, int min, int max) {
        JsonNode v = body.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber()) {
            throw new ApiException(400, f, "must be an integer");
        }
        long x = v.asLong();
        if (x < min || x > max) {
            throw new ApiException(400, f, "must be in [" + min + ", " + max + "], got " + x);
        }
        return (int) x;
    }

    static long longField(JsonNode body, String f) {
        JsonNode v = body.get(f);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new ApiException(400, f, "must be an integer");
        }
        return v.asLong();
    }

    static double numberField(JsonNode body, String f, double dflt, double min, double max) {
        JsonNode v = body.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new ApiException(400, f, "must be a number");
        }
        double x = v.asDouble();
        if (!(x >= min && x <= max)) {
            throw new ApiException(400, f, "must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    static void usage(ObjectNode root, int prompt, int completion) {
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", prompt);
        if (completion > 0) {
            u.put("completion_tokens", completion);
        }
        u.put("total_tokens", prompt + completion);
    }

    static ObjectNode error(int status, String param, String message) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error");
        if (param == null) {
            e.putNull("param");
        } else {
            e.put("param", param);
        }
        e.put("code", status);
        return root;
    }
}
