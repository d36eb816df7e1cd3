package dev.moore4j.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

/** Which label arrays {@link StoredJson#compactPredictions} turns into digit strings, and which it must leave alone. */
class CompactPredictionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void onlyArraysOfIntegersZeroToNineBecomeDigits() throws Exception {
        JsonNode in = JSON.readTree("""
                {"cola": {"metric": "mcc", "gold": [1.0, 0.0, 1.0], "pred": [0, 0, 1]},
                 "piqa": {"metric": "accuracy", "gold": [3.0, 9.0], "pred": [2.0, 9.0]},
                 "stsb": {"metric": "spearman", "gold": [3.8, 1.0], "pred": [2.9, 1.2]},
                 "big":  {"metric": "accuracy", "gold": [10.0, 1.0], "pred": [-1.0, 1.0]}}""");
        JsonNode out = StoredJson.compactPredictions(in);
        assertThat(out.get("cola").get("gold").asText()).isEqualTo("101");
        assertThat(out.get("cola").get("pred").asText()).isEqualTo("001");
        assertThat(out.get("piqa").get("gold").asText()).isEqualTo("39");
        assertThat(out.get("stsb").get("gold")).isEqualTo(in.get("stsb").get("gold")); // regression targets stay numbers
        assertThat(out.get("stsb").get("pred")).isEqualTo(in.get("stsb").get("pred"));
        assertThat(out.get("big").get("gold").isArray()).isTrue(); // two digits or negative: not a one-character label
        assertThat(out.get("big").get("pred").isArray()).isTrue();
        assertThat(out.get("cola").get("metric").asText()).isEqualTo("mcc");
        assertThat(in.get("cola").get("gold").isArray()).isTrue(); // the input is not modified
    }
}
