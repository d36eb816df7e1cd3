package dev.moore4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a run stands: the last step, the best evaluation so far, the counters behind its throughput, the
 * evaluation history and the steps whose update was dropped. It is what {@code trainer_state.json} holds, so a
 * resumed run continues every counter.
 */
final class TrainState {
    private static final ObjectMapper JSON = new ObjectMapper();

    int step;
    double bestOverall = Double.NEGATIVE_INFINITY;
    int bestStep;
    double seconds;
    long examples;
    long tokens;
    ArrayNode history = JSON.createArrayNode();
    final List<Integer> skipped = new ArrayList<>();

    ObjectNode toJson(int totalSteps) {
        ObjectNode st = JSON.createObjectNode();
        st.put("step", step);
        st.put("total_steps", totalSteps);
        st.put("best_overall", bestOverall);
        st.put("best_step", bestStep);
        st.put("train_seconds", seconds);
        st.put("examples", examples);
        st.put("tokens", tokens);
        st.set("history", history);
        st.set("skipped_steps", JSON.valueToTree(skipped));
        return st;
    }

    static TrainState fromJson(JsonNode st) {
        TrainState s = new TrainState();
        s.step = st.get("step").asInt();
        s.bestOverall = st.path("best_overall").asDouble(Double.NEGATIVE_INFINITY);
        s.bestStep = st.path("best_step").asInt();
        s.seconds = st.path("train_seconds").asDouble();
        s.examples = st.path("examples").asLong();
        s.tokens = st.path("tokens").asLong();
        s.history = (ArrayNode) ((ObjectNode) st).withArray("history");
        st.path("skipped_steps").forEach(x -> s.skipped.add(x.asInt()));
        return s;
    }
}
