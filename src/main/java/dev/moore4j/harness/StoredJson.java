package dev.moore4j.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.eval.TaskPredictions;
import dev.moore4j.train.Run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** How the results store writes and reads its JSON text: a run's predictions (checked, compacted) and any stored tree. */
final class StoredJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredJson() {}

    static JsonNode tree(String text) {
        try {
            return text == null ? JSON.missingNode() : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new MooreException("results database: " + e.getMessage());
        }
    }

    static String readPredictions(Path runDir) {
        Path f = runDir.resolve(Run.PREDICTIONS);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(f.toFile());
            parsePredictions(n, f.toString()); // checked now: a bad file is named here, not in a later comparison
            return compactPredictions(n).toString();
        } catch (IOException e) {
            throw new MooreException(f + ": cannot read predictions: " + e.getMessage());
        }
    }

    static Map<String, TaskPredictions> parsePredictions(JsonNode n, String source) {
        Map<String, TaskPredictions> out = new LinkedHashMap<>();
        var it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            JsonNode t = e.getValue();
            if (!t.path("metric").isTextual() || !labels(t.path("gold")) || !labels(t.path("pred"))) {
                throw new MooreException(source + ": task '" + e.getKey() + "' needs 'metric', 'gold' and 'pred'");
            }
            String where = source + ": task '" + e.getKey() + "'";
            out.put(e.getKey(), new TaskPredictions(t.get("metric").asText(), doubles(t.get("gold"), where), doubles(t.get("pred"), where)));
        }
        return out;
    }

    static boolean labels(JsonNode a) {
        return a.isArray() || a.isTextual();
    }

    /** An array of numbers, or its compact form: a string of single-digit labels ({@link #compactPredictions}). */
    static double[] doubles(JsonNode a, String where) {
        if (a.isTextual()) {
            String digits = a.asText();
            double[] out = new double[digits.length()];
            for (int i = 0; i < out.length; i++) {
                char ch = digits.charAt(i);
                if (ch < '0' || ch > '9') {
                    throw new MooreException(where + ": a label string holds '" + ch + "' at position " + i + "; only digits 0-9 are labels");
                }
                out[i] = ch - '0';
            }
            return out;
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    /**
     * Predictions as stored: a task's gold and predicted labels, when all are integers 0–9 (every classification and
     * multiple-choice task here), become one digit per example ("0110…") instead of a JSON array of doubles ("0.0,1.0,…"),
     * a quarter of the bytes. Regression targets stay arrays. Lossless: {@link #predictions} reads both forms.
     */
    static JsonNode compactPredictions(JsonNode n) {
        if (!n.isObject()) {
            return n;
        }
        ObjectNode out = JSON.createObjectNode();
        n.fields().forEachRemaining(e -> {
            if (!e.getValue().isObject()) {
                out.set(e.getKey(), e.getValue());
                return;
            }
            ObjectNode t = e.getValue().deepCopy();
            for (String f : new String[] {"gold", "pred"}) {
                String digits = digits(t.path(f));
                if (digits != null) {
                    t.put(f, digits);
                }
            }
            out.set(e.getKey(), t);
        });
        return out;
    }

    static String digits(JsonNode a) {
        if (!a.isArray()) {
            return null;
        }
        StringBuilder sb = new StringBuilder(a.size());
        for (JsonNode v : a) {
            double d = v.asDouble(Double.NaN);
            if (!v.isNumber() || d != Math.rint(d) || d < 0 || d > 9) {
                return null;
            }
            sb.append((char) ('0' + (int) d));
        }
        return sb.toString();
    }
}
