package dev.moore4j.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.full.FullMethod;
import dev.moore4j.adapter.goat.GoatMethod;
import dev.moore4j.adapter.heads.HeadsMethod;
import dev.moore4j.adapter.hra.HraMethod;
import dev.moore4j.adapter.hydralora.HydraLoraMethod;
import dev.moore4j.adapter.lora.LoraMethod;
import dev.moore4j.adapter.loramoe.LoraMoeMethod;
import dev.moore4j.adapter.milora.MiLoraMethod;
import dev.moore4j.adapter.mixlora.MixLoraMethod;
import dev.moore4j.adapter.mola.MolaMethod;
import dev.moore4j.adapter.moore.MooreMethod;
import dev.moore4j.adapter.mosld.MosldMethod;
import dev.moore4j.adapter.mtllora.MtlLoraMethod;
import dev.moore4j.adapter.omoe.OmoeMethod;
import dev.moore4j.adapter.pissa.PissaMethod;
import dev.moore4j.model.TransformerModel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of methods (one line each) and the config plumbing they share: defaults, overrides, JSON. */
public final class Methods {
    private static final Map<String, Method<?>> ALL = register(
            new HeadsMethod(), new FullMethod(), new LoraMethod(), new PissaMethod(), new MiLoraMethod(), new HraMethod(),
            new MixLoraMethod(), new LoraMoeMethod(), new MolaMethod(), new HydraLoraMethod(), new MtlLoraMethod(),
            new MosldMethod(), new OmoeMethod(), new GoatMethod(), new MooreMethod());

    private static final ObjectMapper JSON = MethodConfig.JSON;

    private Methods() {}

    private static Map<String, Method<?>> register(Method<?>... methods) {
        Map<String, Method<?>> m = new LinkedHashMap<>();
        for (Method<?> x : methods) {
            if (m.put(x.name(), x) != null) {
                throw new IllegalStateException("two methods are named '" + x.name() + "'");
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** Every method, in registry order. */
    public static List<Method<?>> all() {
        return List.copyOf(ALL.values());
    }

    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    public static Method<?> get(String name) {
        Method<?> m = ALL.get(name);
        if (m == null) {
            throw new MooreException("unknown method '" + name + "' (methods: " + String.join(" ", ALL.keySet()) + ")");
        }
        return m;
    }

    /** Trainable parameters that {@code method} with {@code config} would add to {@code model}. */
    @SuppressWarnings("unchecked")
    public static <C extends MethodConfig> long count(String method, TransformerModel model, MethodConfig config, int tasks) {
        Method<C> m = (Method<C>) get(method);
        return m.count(model, m.configType().cast(config), tasks);
    }

    public static ObjectNode toJson(MethodConfig c) {
        return MethodConfig.toJson(c);
    }

    /**
     * The method's defaults with {@code overrides} applied. An unknown key or a value its config refuses
     * fails here, naming the key; {@code where} says where the overrides came from.
     */
    public static MethodConfig config(String method, Map<String, ?> overrides, String where) {
        Method<?> m = get(method);
        ObjectNode node = toJson(m.defaults());
        if (overrides != null) {
            for (Map.Entry<String, ?> e : overrides.entrySet()) {
                if (!node.has(e.getKey())) {
                    List<String> keys = new ArrayList<>();
                    node.fieldNames().forEachRemaining(keys::add);
                    throw new MooreException(where + ": method '" + method + "' has no key '" + e.getKey() + "' (its keys: " + String.join(", ", keys) + ")");
                }
                node.set(e.getKey(), JSON.valueToTree(e.getValue()));
            }
        }
        try {
            return JSON.treeToValue(node, m.configType());
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof MooreException me) {
                throw new MooreException(where + ": " + me.getMessage());
            }
            throw new MooreException(where + ": method '" + method + "': " + (cause != null ? cause.getMessage() : e.getOriginalMessage()));
        } catch (MismatchedInputException e) {
            String key = e.getPath().isEmpty() ? "?" : e.getPath().get(0).getFieldName();
            throw new MooreException(where + ": method '" + method + "': key '" + key + "' has the wrong type (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        } catch (JsonProcessingException e) {
            throw new MooreException(where + ": method '" + method + "': " + e.getOriginalMessage());
        }
    }

    /** A config from its full JSON (as saved in a checkpoint). */
    public static MethodConfig fromJson(String method, JsonNode node, String where) {
        Map<String, Object> overrides = new LinkedHashMap<>();
        if (node != null) {
            node.fields().forEachRemaining(f -> overrides.put(f.getKey(), f.getValue()));
        }
        return config(method, overrides, where);
    }

    /**
     * Parses {@code key=value} assignments ({@code --set r=16 --set targets=query,value}). Values are JSON
     * where they parse as JSON (numbers, booleans, lists), text otherwise; a list-valued key also takes a
     * comma-separated text.
     */
    public static Map<String, Object> parseAssignments(String method, List<String> assignments) {
        ObjectNode defaults = toJson(get(method).defaults());
        Map<String, Object> out = new LinkedHashMap<>();
        for (String a : assignments == null ? List.<String>of() : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new MooreException("--set '" + a + "': expected key=value");
            }
            String key = a.substring(0, eq).strip();
            String value = a.substring(eq + 1).strip();
            JsonNode def = defaults.get(key);
            if (def != null && def.isArray() && !value.startsWith("[")) {
                out.put(key, value.isEmpty() ? List.of() : List.of(value.split(",")).stream().map(String::strip).map(v -> (Object) parseScalar(v)).toList());
            } else {
                out.put(key, parseScalar(value));
            }
        }
        return out;
    }

    private static Object parseScalar(String v) {
        try {
            JsonNode n = JSON.readTree(v);
            if (n != null && !n.isMissingNode() && (n.isNumber() || n.isBoolean() || n.isArray() || n.isObject())) {
                return JSON.treeToValue(n, Object.class);
            }
        } catch (JsonProcessingException e) {
            // not JSON: text
        }
        return v;
    }
}
