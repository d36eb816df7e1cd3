package dev.moore4j.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.adapter.common.Householder;
import dev.moore4j.adapter.moore.MooreLinear;
import dev.moore4j.adapter.moore.MooreMethod;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Probe;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** MoE-ized real models: exact at initialisation, invariants after perturbation, adapter round trip. */
class MooreModelTest {

    @ParameterizedTest
    @ValueSource(strings = {"minilm", "bge-small", "stories260K"})
    void moeizedModelEqualsBaseAtInit(String alias, @TempDir Path cache) {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(alias, m)) {
            int slots = loaded.model().linearSlots().size();
            float[] before = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.inference());
            Adapter moore = moeize(loaded.model(), MooreMethod.Config.reference(), 3, new FactorCache(cache));
            assertThat(moore.modules()).hasSize(slots);
            assertThat(loaded.model().linearSlots()).allMatch(s -> s.get() instanceof MooreLinear);
            float[] after = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.tasks(false, 0, 1, 2, 0, 1, 2, 0, 1));
            System.err.printf("%s: MoORE at init, max rel diff vs base = %.2e%n", alias, Probe.maxRelDiff(after, before));
            assertThat(Probe.maxRelDiff(after, before)).isLessThanOrEqualTo(1e-4);
        }
    }

    @Test
    void realLayerInvariantsInFp32AfterPerturbation() {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("minilm", m)) {
            Adapter moore = moeize(loaded.model(), MooreMethod.Config.reference().withTargets(List.of("intermediate.dense")), 2, FactorCache.disabled());
            assertThat(moore.modules()).hasSize(6);
            MooreLinear layer = (MooreLinear) moore.modules().get(0);
            for (Param p : layer.parameters()) {
                p.set(p.value().add(m.randomNormal(p.value().getShape()).mul(0.1f)));
            }
            int d = layer.inFeatures();
            NDArray h = Householder.applyWy(m.eye(d), layer.householder().value());
            assertThat(h.transpose().matMul(h).sub(m.eye(d)).abs().max().getFloat()).isLessThanOrEqualTo(1e-5f);
            NDArray y = layer.forward(m.randomNormal(new Shape(2, 7, d)), ForwardContext.tasks(false, 0, 1));
            // subtract the frozen bias through a zero input: y(0) = b
            NDArray b = layer.forward(m.zeros(new Shape(1, 1, d)), ForwardContext.tasks(false, 0)).reshape(-1);
            NDArray centred = y.sub(b).toType(DataType.FLOAT64, false);
            NDArray u = layer.u().toType(DataType.FLOAT64, false);
            double residual = centred.sub(centred.matMul(u).matMul(u.transpose())).norm().getDouble() / centred.norm().getDouble();
            assertThat(residual).isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void targetPatternThatMatchesNothingIsAnError() {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
            assertThatThrownBy(() -> moeize(loaded.model(), MooreMethod.Config.reference().withTargets(List.of("query")), 1, FactorCache.disabled()))
                    .isInstanceOf(MooreException.class).hasMessageContaining("'query' matches no linear layer");
            Adapter moore = moeize(loaded.model(), MooreMethod.Config.reference().withTargets(List.of("q_proj", "mlp.down_proj")), 1, FactorCache.disabled());
            assertThat(moore.modules()).extracting(AdapterModule::name).allMatch(n -> n.endsWith("q_proj") || n.endsWith("down_proj")).hasSize(10);
        }
    }

    static Adapter moeize(TransformerModel model, MooreMethod.Config c, int tasks, FactorCache cache) {
        return Adapter.attach(model, "moore", c, new AdaptContext(tasks, 42, cache));
    }
}
