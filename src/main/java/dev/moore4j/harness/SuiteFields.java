package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Reads the fields of one object, refusing unknown ones and wrong types with the field's full name. */
record SuiteFields(JsonNode n, String source, String prefix, Set<String> allowed) {
    SuiteFields {
        if (n != null && !n.isObject()) {
            throw new MooreException(source + ": field '" + prefix.replaceAll("\\.$", "") + "' must be a mapping");
        }
        if (n != null && allowed != null) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw new MooreException(source + ": unknown field '" + prefix + k + "' (fields here: " + String.join(", ", new TreeSet<>(allowed)) + ")");
                }
            }
        }
    }

    List<String> keys() {
        List<String> out = new ArrayList<>();
        if (n != null) {
            n.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    boolean has(String k) {
        return n != null && n.has(k) && !n.get(k).isNull();
    }

    JsonNode object(String k) {
        return has(k) ? n.get(k) : null;
    }

    private JsonNode need(String k) {
        if (!has(k)) {
            throw new MooreException(source + ": missing field '" + prefix + k + "'");
        }
        return n.get(k);
    }

    MooreException bad(String k, String want) {
        return new MooreException(source + ": field '" + prefix + k + "' must be " + want + ", got " + n.get(k));
    }

    String text(String k, String dflt) {
        if (!has(k) && dflt != null) {
            return dflt;
        }
        JsonNode v = need(k);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw bad(k, "a non-empty string");
        }
        return v.asText();
    }

    int integer(String k, Integer dflt, int min) {
        if (!has(k) && dflt != null) {
            return dflt;
        }
        JsonNode v = need(k);
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min) {
            throw bad(k, "an integer ≥ " + min);
        }
        return v.asInt();
    }

    double number(String k, Double dflt) {
        if (!has(k) && dflt != null) {
            return dflt;
        }
        JsonNode v = need(k);
        if (!v.isNumber() || !(v.asDouble() >= 0) || Double.isInfinite(v.asDouble())) {
            throw bad(k, "a number ≥ 0");
        }
        return v.asDouble();
    }

    boolean bool(String k, boolean dflt) {
        if (!has(k)) {
            return dflt;
        }
        if (!n.get(k).isBoolean()) {
            throw bad(k, "true or false");
        }
        return n.get(k).asBoolean();
    }

    List<String> texts(String k, List<String> dflt) {
        if (!has(k) && dflt != null) {
            return dflt;
        }
        JsonNode v = need(k);
        List<String> out = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(x -> out.add(x.isTextual() ? x.asText() : null));
        }
        if (!v.isArray() || out.isEmpty() || out.contains(null)) {
            throw bad(k, "a non-empty list of strings");
        }
        return out;
    }

    List<Long> longs(String k, List<Long> dflt) {
        if (!has(k)) {
            return dflt;
        }
        JsonNode v = n.get(k);
        List<Long> out = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(x -> out.add(x.isIntegralNumber() ? x.asLong() : null));
        }
        if (!v.isArray() || out.isEmpty() || out.contains(null)) {
            throw bad(k, "a non-empty list of integers");
        }
        return out;
    }

    List<Double> numbers(String k) {
        JsonNode v = need(k);
        List<Double> out = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(x -> out.add(x.isNumber() && x.asDouble() > 0 ? x.asDouble() : null));
        }
        if (!v.isArray() || out.isEmpty() || out.contains(null)) {
            throw bad(k, "a non-empty list of positive numbers");
        }
        return out.stream().sorted().toList();
    }
}
