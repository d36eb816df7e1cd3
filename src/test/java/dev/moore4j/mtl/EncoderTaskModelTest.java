package dev.moore4j.mtl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.moore4j.task.Split;
import dev.moore4j.task.BadRows;
import dev.moore4j.TestSupport;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Param;
import dev.moore4j.adapter.moore.MooreMethod;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.AdamW;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The encoder heads and losses against independent computations: the training loss equals the loss
 * recomputed from the evaluation path's probabilities and values; a mixed-task batch's loss is the
 * size-weighted mean of its single-task batches; the task id reaches the MoORE router.
 */
class EncoderTaskModelTest {
    static NDManager m;
    static ModelLoader.Loaded loaded;
    static EncoderTaskModel model;
    static List<TaskSpec> tasks;
    static List<Example> sst;
    static List<Example> stsb;
    static List<Example> arc;

    @BeforeAll
    static void setUp() {
        m = TestSupport.manager();
        loaded = ModelLoader.load("minilm", m);
        tasks = TaskRegistry.resolveAll(List.of("sst2", "stsb", "arc-e"));
        Adapter moore = Adapter.attach(loaded.model(), "moore", MooreMethod.Config.reference(), new AdaptContext(3, 42, new FactorCache(SharedPaths.cache().resolve("svd"))));
        model = new EncoderTaskModel((BertModel) loaded.model(), loaded.tokenizer(), moore, tasks, 64, 3);
        var data = SharedPaths.data();
        sst = TaskRegistry.load(tasks.get(0), Split.EVAL, data, 5, 1, BadRows.STOP).examples();
        stsb = TaskRegistry.load(tasks.get(1), Split.EVAL, data, 4, 1, BadRows.STOP).examples();
        arc = TaskRegistry.load(tasks.get(2), Split.EVAL, data, 3, 1, BadRows.STOP).examples();
        // perturb the adapter so task routing matters
        try (AdamW opt = new AdamW(1e-2f, 0f); NDScope scope = new NDScope()) {
            for (int i = 0; i < 2; i++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(model.loss(mixed(), m, true));
                }
                opt.step(model.parameters());
            }
        }
    }

    @AfterAll
    static void tearDown() {
        loaded.close();
        m.close();
    }

    static List<Example> mixed() {
        List<Example> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) { // interleaved tasks
            all.add(sst.get(i));
            if (i < stsb.size()) {
                all.add(stsb.get(i));
            }
            if (i < arc.size()) {
                all.add(arc.get(i));
            }
        }
        return all;
    }

    static double loss(List<Example> batch) {
        try (NDScope scope = new NDScope(); NDManager sm = m.newSubManager()) {
            NDArray l = model.loss(batch, sm, false);
            return l.getFloat();
        }
    }

    @Test
    void lossMatchesEvaluationPath() {
        List<Example> batch = mixed();
        List<TaskModel.Prediction> p;
        try (NDScope scope = new NDScope(); NDManager sm = m.newSubManager()) {
            p = model.predict(batch, sm, TaskModel.Routing.BY_TASK);
        }
        double expected = 0;
        for (int i = 0; i < batch.size(); i++) {
            Example e = batch.get(i);
            TaskModel.Prediction q = p.get(i);
            if (e.task().equals("stsb")) {
                expected += (q.value() - e.target()) * (q.value() - e.target());
            } else if (e.task().equals("sst2")) {
                expected -= Math.log(q.scores()[e.label()]);
            } else { // multiple choice: scores are raw logits, softmax over the choices
                double max = Arrays.stream(q.scores()).max().orElseThrow();
                double z = Arrays.stream(q.scores()).map(s -> Math.exp(s - max)).sum();
                expected -= q.scores()[e.label()] - max - Math.log(z);
            }
        }
        assertThat(loss(batch)).isCloseTo(expected / batch.size(), within(1e-4 * Math.max(1, Math.abs(expected / batch.size()))));
    }

    /** A multiple-choice example is one sequence per choice: it costs their sum, and pads a batch to their longest. */
    @Test
    void anExamplesLongestSequenceIsItsLongestChoice() {
        for (Example e : arc) {
            int[] each = e.choices().stream()
                    .mapToInt(c -> model.tokens(new Example(e.task(), e.text(), e.pair(), List.of(c), 0, 0f, e.source()))).toArray();
            assertThat(model.tokens(e)).isEqualTo(Arrays.stream(each).sum());
            assertThat(model.longest(e)).isEqualTo(Arrays.stream(each).max().orElseThrow()).isLessThan(model.tokens(e));
        }
        assertThat(model.longest(sst.get(0))).isEqualTo(model.tokens(sst.get(0)));
    }

    @Test
    void mixedBatchIsWeightedMeanOfSingleTaskBatches() {
        double mixedLoss = loss(mixed());
        int n = sst.size() + stsb.size() + arc.size();
        double expected = (loss(sst) * sst.size() + loss(stsb) * stsb.size() + loss(arc) * arc.size()) / n;
        assertThat(mixedLoss).isCloseTo(expected, within(1e-4 * Math.abs(expected)));
    }

    @Test
    void taskIdReachesTheRouter() {
        Example e = sst.get(0);
        Example asArc = new Example("arc-e", e.text(), null, List.of("yes", "no"), 0, Float.NaN, "test");
        try (NDScope scope = new NDScope(); NDManager sm = m.newSubManager()) {
            double[] routed = model.predict(List.of(asArc), sm, TaskModel.Routing.BY_TASK).get(0).scores();
            double[] same = model.predict(List.of(asArc, sst.get(1)), sm, TaskModel.Routing.BY_TASK).get(0).scores(); // batch company does not matter
            double[] free = model.predict(List.of(asArc), sm, TaskModel.Routing.TASK_FREE).get(0).scores(); // mean task embedding instead of arc-e's
            assertThat(routed).containsExactly(same, within(1e-5));
            assertThat(Math.abs(free[0] - routed[0]) + Math.abs(free[1] - routed[1])).isGreaterThan(1e-6);
        }
    }

    @Test
    void headsAndAdapterAreTrainable() {
        List<String> names = model.parameters().stream().map(Param::name).toList();
        assertThat(names).contains("heads.sst2.weight", "heads.stsb.bias", "heads.arc-e.weight");
        assertThat(model.state().get("heads.sst2.weight").shape()).containsExactly(384, 2);
        assertThat(model.state().get("heads.arc-e.weight").shape()).containsExactly(384, 1);
        assertThat(model.state().keySet()).anyMatch(k -> k.startsWith("moore."));
    }
}
