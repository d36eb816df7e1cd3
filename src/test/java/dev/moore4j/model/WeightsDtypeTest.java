package dev.moore4j.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.AdapterMethodsTest;
import dev.moore4j.adapter.Methods;
import dev.moore4j.adapter.Param;
import dev.moore4j.io.WeightsDtype;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --weights-dtype fp16}: frozen weights held in 16 bits, arithmetic in fp32. The oracles: the fp16 model is the
 * fp32 model of the rounded weights (its logits near fp32's, its greedy story the known one at first); LoRA at
 * initialisation on a 16-bit base computes exactly what the base does; every method trains on it with fp32
 * parameters; bf16 is refused before anything is read.
 */
class WeightsDtypeTest {
    static final long[] IDS = {1, 403, 407, 261, 378, 11, 293, 280};

    static float[] logits(TransformerModel model, NDManager m, ForwardContext ctx) {
        return ((LlamaModel) model).forward(m.create(IDS, new Shape(2, 4)), null, ctx).toFloatArray();
    }

    @Test
    void fp16HoldsFrozenWeightsInHalfTheBytesAndComputesNearFp32() {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded wide = ModelLoader.load("stories260K", m);
             ModelLoader.Loaded half = ModelLoader.load("stories260K", m, WeightsDtype.FP16)) {
            DenseLinear q = (DenseLinear) half.model().linearSlots().get(0).get();
            assertThat(q.weightInOut().getDataType()).isEqualTo(DataType.FLOAT16);
            assertThat(q.narrow()).isTrue();
            assertThat(half.model().weightsHash()).as("the model's identity is its stored values").isEqualTo(wide.model().weightsHash());
            float[] a = logits(wide.model(), m, ForwardContext.inference());
            float[] b = logits(half.model(), m, ForwardContext.inference());
            double diff = TestSupport.maxAbsDiff(a, b);
            System.err.printf("stories260K fp16 vs fp32: max |logit diff| %.2e%n", diff);
            assertThat(diff).isPositive().isLessThan(0.05); // rounding the weights changes the logits, a little
            String story = ((DecoderModel) half.model()).generate(half.tokenizer(), "Zoo", new DecoderModel.Sampling(24, 0f, 0.9f, 0),
                    ForwardContext.inference(), null);
            assertThat(story).startsWith("Zoo was a little girl named Lily.");
        }
    }

    @Test
    void loraAtInitOnAHalfBaseIsExactlyTheBaseAndMooreIsNear() {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded base = ModelLoader.load("stories260K", m, WeightsDtype.FP16)) {
            float[] ref = logits(base.model(), m, ForwardContext.inference());
            for (String method : new String[] {"lora", "moore"}) {
                try (ModelLoader.Loaded half = ModelLoader.load("stories260K", m, WeightsDtype.FP16)) {
                    Adapter.attach(half.model(), method, Methods.config(method, Map.of(), "t"), new AdaptContext(2, 1, FactorCache.disabled()));
                    float[] adapted = logits(half.model(), m, ForwardContext.tasks(false, 0, 1));
                    double diff = TestSupport.maxAbsDiff(ref, adapted);
                    System.err.printf("%s at init on the fp16 base: max |logit diff| %.2e%n", method, diff);
                    if (method.equals("lora")) {
                        assertThat(diff).as("B = 0: the same frozen products").isZero();
                    } else {
                        assertThat(diff).as("MoORE's factors of the rounded W, rounded again").isLessThan(0.05);
                    }
                }
            }
        }
    }

    @Test
    void everyMethodTrainsOnAHalfBaseWithFp32Parameters() {
        for (String method : Methods.names()) {
            if (method.equals("heads")) {
                continue;
            }
            try (NDManager m = TestSupport.manager(); ModelLoader.Loaded half = ModelLoader.load("stories260K", m, WeightsDtype.FP16)) {
                Adapter a = Adapter.attach(half.model(), method, Methods.config(method, AdapterMethodsTest.small(method), "t"),
                        new AdaptContext(2, 1, FactorCache.disabled()));
                for (Param p : a.parameters()) {
                    assertThat(p.value().getDataType()).as(method + " " + p.name()).isEqualTo(DataType.FLOAT32);
                }
                LlamaReferenceTest.trainsAStep(method, a, (LlamaModel) half.model(), m, m.create(IDS, new Shape(2, 4)));
                a.fold(); // inference form on the 16-bit base
                for (float v : logits(half.model(), m, ForwardContext.inference())) {
                    assertThat(Float.isFinite(v)).as(method + " folded").isTrue();
                }
            }
        }
    }

    @Test
    void bf16AndUnknownNamesAreRefusedBeforeReading() {
        try (NDManager m = TestSupport.manager()) {
            assertThatThrownBy(() -> ModelLoader.load("stories260K", m, WeightsDtype.BF16)).isInstanceOf(MooreException.class)
                    .hasMessageContaining("bfloat16").hasMessageContaining("use fp16");
        }
        assertThatThrownBy(() -> WeightsDtype.parse("fp8")).hasMessageContaining("expected fp32, fp16 or bf16");
        TestSupport.CliRun bad = TestSupport.cli("generate", "stories260K", "--prompt", "Zoo", "--weights-dtype", "bf16");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("bfloat16").doesNotContain("\tat ");
        TestSupport.CliRun ok = TestSupport.cli("generate", "stories260K", "--prompt", "Zoo", "--max-tokens", "12", "--weights-dtype", "fp16");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("Zoo was a little girl");
        TestSupport.CliRun inspect = TestSupport.cli("inspect", "stories260K", "--json");
        assertThat(inspect.out()).contains("\"weights_bytes\"").contains("\"fp16\"");
    }
}
