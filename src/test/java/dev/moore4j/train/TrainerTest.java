package dev.moore4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.task.Split;
import dev.moore4j.TestSupport;
import dev.moore4j.adapter.Methods;
import dev.moore4j.adapter.Param;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.HostTensor;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Trainer mechanics against exact identities. */
class TrainerTest {
    static final List<String> TASKS = List.of("examples/stories-tasks/mood.yaml", "examples/stories-tasks/pet.yaml",
            "examples/stories-tasks/weather.yaml");

    static TrainConfig config(int accum, boolean wholeSequence) {
        var n = TrainConfig.defaults().toJson();
        n.put("model", "stories260K").put("batchSize", 12).put("gradAccum", accum).put("maxSteps", 1).put("wholeSequenceLoss", wholeSequence);
        n.set("tasks", new ObjectMapper().valueToTree(TASKS));
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

    /** Largest entry-wise difference of two gradient lists over the largest entry of the first (which must not be all zero). */
    static double relativeDifference(List<float[]> a, List<float[]> b) {
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                maxAbs = Math.max(maxAbs, Math.abs(a.get(i)[j]));
                maxDiff = Math.max(maxDiff, Math.abs(a.get(i)[j] - b.get(i)[j]));
            }
        }
        assertThat(maxAbs).as("gradients are not all zero").isGreaterThan(1e-6);
        return maxDiff / maxAbs;
    }

    /** Evaluations at every evalEvery steps and the last; checkpoints there and every checkpointEvery steps besides. */
    @Test
    void aStoppedStepCountsAsATypicalOneInTheTrainingTime() {
        List<Double> steps = new ArrayList<>(List.of(1.0, 1.2, 0.9, 1.1, 5.0));
        assertThat(Trainer.countedSeconds(3600, steps, Double.NaN)).as("an hour under SIGSTOP: the median").isEqualTo(1.1);
        assertThat(Trainer.countedSeconds(15, steps, Double.NaN)).as("slow but computing: as measured").isEqualTo(15);
        assertThat(Trainer.countedSeconds(3600, List.of(1.0, 1.0), Double.NaN)).as("too few steps to judge").isEqualTo(3600);
        assertThat(Trainer.countedSeconds(3600, List.of(1.0, 1.0), 2.0)).as("just resumed: the mean before").isEqualTo(2.0);
        List<Double> slower = new ArrayList<>(steps);
        for (int i = 0; i < 60; i++) {
            slower.add(100.0); // the machine got 100 times slower: the last 50 steps are the typical ones now
        }
        assertThat(Trainer.countedSeconds(150, slower, Double.NaN)).isEqualTo(150);
    }

    @Test
    void checkpointsBetweenEvaluationsWithoutEvaluating() {
        TrainConfig endOnly = TrainConfig.builder().tasks(List.of("sst2")).evalEvery(0).checkpointEvery(125).build();
        List<Integer> evals = new ArrayList<>();
        List<Integer> saves = new ArrayList<>();
        for (int step = 1; step <= 375; step++) {
            if (Trainer.evaluatesAt(step, 375, endOnly)) {
                evals.add(step);
            }
            if (Trainer.savesAt(step, 375, endOnly)) {
                saves.add(step);
            }
        }
        assertThat(evals).containsExactly(375);
        assertThat(saves).containsExactly(125, 250, 375);
        TrainConfig both = endOnly.toBuilder().evalEvery(100).checkpointEvery(0).build();
        assertThat(Trainer.evaluatesAt(200, 375, both)).isTrue();
        assertThat(Trainer.savesAt(200, 375, both)).isTrue();
        assertThat(Trainer.savesAt(250, 375, both)).isFalse();
        assertThat(TrainConfig.fromJson(both.toBuilder().checkpointEvery(7).build().toJson(), "test").checkpointEvery()).as("round-trips").isEqualTo(7);
    }

    @Test
    void gradientAccumulationEqualsOneBigBatch() {
        for (boolean wholeSequence : new boolean[] {false, true}) {
            try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
                TrainConfig one = config(1, wholeSequence);
                List<TaskSpec> tasks = TaskRegistry.resolveAll(one.tasks());
                TaskModel model = Pipeline.build(one, tasks, loaded);
                Map<String, List<Example>> data = Pipeline.load(tasks, Split.TRAIN, one);
                List<Example> batch = new ArrayList<>();
                data.values().forEach(l -> batch.addAll(l.subList(0, 4))); // three tasks, answers of different token lengths
                double[] l1 = new double[1];
                double[] l4 = new double[1];
                List<float[]> g1 = gradients(model, new Trainer(model, one, data, Map.of(), "stories260K", Path.of("unused")), batch, m, l1);
                TrainConfig four = config(4, wholeSequence);
                List<float[]> g4 = gradients(model, new Trainer(model, four, data, Map.of(), "stories260K", Path.of("unused")), batch, m, l4);
                assertThat(l4[0]).isCloseTo(l1[0], Assertions.within(1e-5 * Math.abs(l1[0])));
                assertThat(relativeDifference(g1, g4)).as("whole sequence loss: " + wholeSequence).isLessThan(1e-4);
            }
        }
    }

    /**
     * Recomputing the layers in the backward pass gives the gradients of keeping their activations: on the
     * decoder and the encoder, for a routed method (MoORE), dense weights (full), LoRA and a mixture with an
     * auxiliary loss (MixLoRA), with micro-batches. Dropout is off: the two passes draw their masks from
     * different random streams.
     */
    @ParameterizedTest
    @CsvSource({"stories260K,moore", "stories260K,full", "stories260K,lora", "stories260K,mixlora", "minilm,moore", "minilm,lora"})
    void recomputedLayersGiveTheSameGradients(String modelName, String method) {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(modelName, m)) {
            var n = TrainConfig.defaults().toJson();
            List<String> taskNames = modelName.equals("minilm") ? List.of("cola", "sst2") : TASKS;
            n.put("model", modelName).put("method", method).put("batchSize", 8).put("gradAccum", 2).put("maxSteps", 1).put("maxLength", 48);
            n.set("tasks", new ObjectMapper().valueToTree(taskNames));
            if (Methods.toJson(Methods.get(method).defaults()).has("dropout")) {
                n.putObject("adapter").put("dropout", 0.0);
            }
            TrainConfig kept = TrainConfig.fromJson(n, "test").validate();
            TrainConfig recomputed = kept.toBuilder().recompute(true).build().validate();
            List<TaskSpec> tasks = TaskRegistry.resolveAll(kept.tasks());
            TaskModel model = Pipeline.build(kept, tasks, loaded);
            Map<String, List<Example>> data = Pipeline.load(tasks, Split.TRAIN, kept);
            List<Example> batch = new ArrayList<>();
            data.values().forEach(l -> batch.addAll(l.subList(0, 4)));
            double[] lk = new double[1];
            double[] lr = new double[1];
            List<float[]> gk = gradients(model, new Trainer(model, kept, data, Map.of(), modelName, Path.of("unused")), batch, m, lk);
            List<float[]> gr = gradients(model, new Trainer(model, recomputed, data, Map.of(), modelName, Path.of("unused")), batch, m, lr);
            assertThat(lr[0]).isCloseTo(lk[0], Assertions.within(1e-5 * Math.abs(lk[0])));
            assertThat(relativeDifference(gk, gr)).as(modelName + " " + method).isLessThan(1e-4);
        }
    }

    static List<String> frozenBaseMethods() {
        return Methods.names().stream().filter(n -> !n.equals("full") && !n.equals("heads")).toList();
    }

    /**
     * Training moves only what a method trains: after real trainer steps at a high rate, every other tensor of
     * the model (embeddings, norms, the frozen weights or SVD factors inside adapted layers) is bit-identical.
     * Every method but {@code full} (which trains the weights) on stories260K; heads only, which a decoder has not,
     * on MiniLM.
     */
    @ParameterizedTest
    @MethodSource("frozenBaseMethods")
    void trainingLeavesTheFrozenBaseBitIdentical(String method, @TempDir Path out) {
        trainAndCompareFrozen(method, "stories260K", TASKS, out);
    }

    @Test
    void headsOnlyTrainingLeavesTheEncoderBitIdentical(@TempDir Path out) {
        trainAndCompareFrozen("heads", "minilm", List.of("sst2", "stsb"), out);
    }

    private static void trainAndCompareFrozen(String method, String modelName, List<String> taskNames, Path out) {
        var n = TrainConfig.defaults().toJson();
        n.put("model", modelName).put("method", method).put("batchSize", 4).put("maxSteps", 3).put("maxTrainExamples", 8).put("maxEvalExamples", 4)
                .put("maxLength", 48).put("lr", 1e-2).put("headLr", 1e-2).put("warmup", 0.0).put("oblivion", false);
        n.set("tasks", new ObjectMapper().valueToTree(taskNames));
        TrainConfig cfg = TrainConfig.fromJson(n, "test").validate();
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(modelName, m)) {
            List<TaskSpec> tasks = TaskRegistry.resolveAll(cfg.tasks());
            TaskModel model = Pipeline.build(cfg, tasks, loaded);
            Set<NDArray> trainable = Collections.newSetFromMap(new IdentityHashMap<>());
            model.parameters().forEach(p -> trainable.add(p.value()));
            Map<NDArray, byte[]> frozen = new IdentityHashMap<>();
            for (NDArray a : loaded.model().manager().getManagedArrays()) {
                if (!a.isReleased() && !trainable.contains(a)) {
                    frozen.put(a, a.toByteArray());
                }
            }
            Map<String, HostTensor> before = model.state();
            Trainer.Summary s = new Trainer(model, cfg, Pipeline.load(tasks, Split.TRAIN, cfg), Pipeline.load(tasks, Split.EVAL, cfg), modelName, out)
                    .run(new Trainer.Options(false, 0), m);
            assertThat(s.steps()).isEqualTo(3);
            Map<String, HostTensor> after = model.state();
            assertThat(before.keySet().stream().filter(k -> !Arrays.equals(before.get(k).data(), after.get(k).data())).count())
                    .as(method + ": trained tensors that moved").isPositive();
            assertThat(frozen).as(method + ": frozen tensors found").hasSizeGreaterThan(10);
            int i = 0;
            for (Map.Entry<NDArray, byte[]> e : frozen.entrySet()) {
                assertThat(e.getKey().isReleased()).as(method + ": frozen tensor " + i + " still alive").isFalse();
                assertThat(e.getKey().toByteArray()).as(method + ": frozen tensor " + i + " " + e.getKey().getShape() + " unchanged").isEqualTo(e.getValue());
                i++;
            }
        }
    }
}
