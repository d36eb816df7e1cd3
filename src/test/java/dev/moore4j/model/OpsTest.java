package dev.moore4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Rewritten ops are bit-identical to libtorch's own, forward and backward. */
class OpsTest {
    /** Output and input gradient of dropout with the given random state. */
    private static float[][] dropout(boolean ours, long seed) {
        try (NDManager m = TestSupport.manager()) {
            Engine.getInstance().setRandomSeed(1); // the same x and weight in every call
            NDArray x = m.randomNormal(new Shape(64, 96));
            x.setRequiresGradient(true);
            NDArray weight = m.randomNormal(new Shape(64, 96));
            Engine.getInstance().setRandomSeed((int) seed);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = ours ? Ops.dropout(x, 0.3, true) : Dropout.dropout(x, 0.3f, true).singletonOrThrow();
                gc.backward(y.mul(weight).sum());
                return new float[][] {y.toFloatArray(), x.getGradient().toFloatArray()};
            }
        }
    }

    @Test
    void dropoutWithABoolMaskEqualsLibtorchsBitForBit() {
        float[][] ours = dropout(true, 11);
        float[][] reference = dropout(false, 11);
        assertThat(ours[0]).as("output").containsExactly(reference[0]);
        assertThat(ours[1]).as("gradient").containsExactly(reference[1]);
        long dropped = 0;
        for (float v : reference[0]) {
            dropped += v == 0 ? 1 : 0;
        }
        assertThat(dropped).as("the rate is applied").isBetween(64L * 96 / 5, 64L * 96 * 2 / 5);
        assertThat(dropout(true, 12)[0]).as("another seed, another mask").isNotEqualTo(ours[0]);
        try (NDManager m = TestSupport.manager()) {
            NDArray x = m.randomNormal(new Shape(3, 4));
            assertThat(Ops.dropout(x, 0.3, false)).as("identity at inference").isSameAs(x);
        }
    }
}
