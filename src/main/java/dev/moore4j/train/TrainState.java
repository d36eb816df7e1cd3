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
    /** Per step: {@code step}, {@code loss}, {@code lr} (the adapter's, after the schedule) and {@code grad_norm} (before clipping). */
    ObjectNode curve = emptyCurve();
    final List<Integer> skipped = new ArrayList<>();
    /** Whether the run recomputes layers (the memory plan's choice; null for a run checkpointed before it was kept). */
    Boolean recompute;

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
        st.set("curve", curve);
        st.set("skipped_steps", JSON.valueToTree(skipped));
        if (recompute != null) {
            st.put("recompute", recompute);
        }
        return st;
    }

    static ObjectNode emptyCurve() {
        ObjectNode c = JSON.createObjectNode();
        for (String k : new String[] {"step", "loss", "lr", "grad_norm"}) {
            c.putArray(k);
        }
        return c;
    }

    /** Appends one step to the curve (NaN, for a skipped step's loss or norm, is kept as null). */
    void record(int at, double loss, double lr, double gradNorm) {
        curve.withArray("step").add(at);
        add(curve.withArray("loss"), loss);
        add(curve.withArray("lr"), lr);
        add(curve.withArray("grad_norm"), gradNorm);
    }

    private static void add(ArrayNode a, double v) {
        if (Double.isFinite(v)) {
            a.add(v);
        } else {
            a.addNull();
        }
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
        if (st.path("curve").isObject()) { // runs checkpointed before curves were kept resume without the early steps
            s.curve = (ObjectNode) st.get("curve");
        }
        st.path("skipped_steps").forEach(x -> s.skipped.add(x.asInt()));
        s.recompute = st.path("recompute").isBoolean() ? st.get("recompute").asBoolean() : null;
        return s;
    }
}
