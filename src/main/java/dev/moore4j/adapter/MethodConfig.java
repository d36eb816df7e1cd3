package dev.moore4j.adapter;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;

import java.util.List;

/**
 * A method's hyperparameters: a record per method, read from JSON with snake_case keys
 * ({@code --set top_k=2}), validated in its constructor (the error names the key).
 */
public interface MethodConfig {
    /** snake_case keys ({@code top_k}), unknown keys refused: how every config is read and written. */
    ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** Target module patterns (see {@link TargetMatcher}); empty = the method's default targets. */
    List<String> targets();

    /** A config as JSON, with the keys a user writes. */
    static ObjectNode toJson(MethodConfig c) {
        return JSON.valueToTree(c);
    }

    /** Refuses a rank below 1 when a config is read; its upper bound, a layer's, is checked when the layer is adapted. */
    static void checkRank(int r) {
        if (r < 1) {
            throw new MooreException("key 'r' must be at least 1, got " + r);
        }
    }

    /** Refuses a dropout rate outside [0, 1). */
    static void checkDropout(String key, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new MooreException("key '" + key + "' must be in [0, 1), got " + p);
        }
    }
}
