package dev.moore4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.moore4j.TestSupport;
import dev.moore4j.adapter.Param;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Trainer mechanics against exact identities. */
class TrainerTest {
    static final List<String> TASKS = List.of("examples/stories-tasks/mood.yaml", "examples/stories-tasks/pet.yaml",
            "examples/stories-tasks/weather.yaml");

    static TrainConfig config(int accum, boolean wholeSequence) {
        var n = TrainConfig.defaults().toJson();
        n.put("model", "stories260K").put("batchSize", 12).put("gradAccum", accum).put("maxSteps", 1).put("wholeSequenceLoss", wholeSequence);
        n.set("tasks", new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(TASKS));
        return TrainConfig.fromJson(n, "test").validate();
    }

    /** Gradient of every trainable entry after one accumulated backward pass. */
    static List<float[]> gradients(TaskModel model, Trainer t, List<Example> batch, NDManager m, double[] loss) {
        List<float[]> out = new ArrayList<>();
        try (NDScope scope = new NDScope(); NDManager sm = m.newSubManager()) {
            loss[0] = t.backward(batch, sm);
            for (Param p : model.parameters()) {
                NDArray g = p.value().getGradient();
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    @Test
    void gradientAccumulationEqualsOneBigBatch() {
        for (boolean wholeSequence : new boolean[] {false, true}) {
            try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
                TrainConfig one = config(1, wholeSequence);
                List<TaskSpec> tasks = TaskRegistry.resolveAll(one.tasks());
                TaskModel model = Pipeline.build(one, tasks, loaded);
                Map<String, List<Example>> data = Pipeline.load(tasks, true, one);
                List<Example> batch = new ArrayList<>();
                data.values().forEach(l -> batch.addAll(l.subList(0, 4))); // three tasks, answers of different token lengths
                double[] l1 = new double[1];
                double[] l4 = new double[1];
                List<float[]> g1 = gradients(model, new Trainer(model, one, data, Map.of(), "stories260K", Path.of("unused")), batch, m, l1);
                TrainConfig four = config(4, wholeSequence);
                List<float[]> g4 = gradients(model, new Trainer(model, four, data, Map.of(), "stories260K", Path.of("unused")), batch, m, l4);
                assertThat(l4[0]).isCloseTo(l1[0], org.assertj.core.api.Assertions.within(1e-5 * Math.abs(l1[0])));
                double maxAbs = 0;
                double maxDiff = 0;
                for (int i = 0; i < g1.size(); i++) {
                    for (int j = 0; j < g1.get(i).length; j++) {
                        maxAbs = Math.max(maxAbs, Math.abs(g1.get(i)[j]));
                        maxDiff = Math.max(maxDiff, Math.abs(g1.get(i)[j] - g4.get(i)[j]));
                    }
                }
                assertThat(maxAbs).as("gradients are not all zero").isGreaterThan(1e-6);
                assertThat(maxDiff / maxAbs).as("whole sequence loss: " + wholeSequence).isLessThan(1e-4);
            }
        }
    }
}
