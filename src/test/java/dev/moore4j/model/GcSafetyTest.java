package dev.moore4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.moore4j.TestSupport;
import dev.moore4j.adapter.common.Householder;
import dev.moore4j.model.bert.BertModel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DJL's Number overloads ({@code x.mul(0.5f)}, {@code x.add(1f)}, …) wrap the scalar in a Java direct
 * buffer and free it right after the op, yet autograd keeps that tensor for the backward pass. Once a
 * GC has run in between, backward reads freed memory: wrong or NaN gradients, at random. These tests
 * pin the fix (scalars owned by libtorch, {@link Ops#mul} and friends).
 */
class GcSafetyTest {
    /** Every scalar-taking op of the forward passes, chained; returns a scalar loss. */
    private static NDArray forward(NDArray x, NDArray h, NDArray gamma) {
        NDArray rotated = Householder.applySequential(x, h).add(Householder.applyWy(x, h));   // [B, S, D]
        NDArray act = Ops.gelu(Ops.rmsNorm(rotated, gamma, 1e-5f));
        NDArray mask = x.getManager().ones(new Shape(x.getShape().get(0), x.getShape().get(1)));
        NDArray pooled = BertModel.meanPool(act, mask, true);
        return Ops.div(Ops.mul(pooled.mul(pooled.sum(new int[] {1}, true)).sum(), 3.0), 7.0);
    }

    /** Gradients of x, h and γ; with {@code gcBeforeBackward} the collector and cleaners run between forward and backward. */
    private static double[][] gradients(boolean gcBeforeBackward) throws InterruptedException {
        try (NDManager m = TestSupport.manager(); NDScope scope = new NDScope()) {
            Random r = new Random(3);
            double[] xs = new double[2 * 5 * 6];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = r.nextGaussian();
            }
            NDArray x = m.create(xs, new Shape(2, 5, 6));
            NDArray h = m.create(new double[] {0.3, -0.2, 0.5, 0.1, 0.9, -0.4, 0.7, 0.2, -0.6, 0.3, 0.1, 0.8}, new Shape(2, 6));
            NDArray gamma = m.create(new double[] {1.1, 0.9, 1.2, 0.8, 1.0, 1.3});
            for (NDArray a : List.of(x, h, gamma)) {
                a.setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = forward(x, h, gamma);
                if (gcBeforeBackward) {
                    for (int i = 0; i < 5; i++) {
                        byte[][] garbage = new byte[2000][];
                        for (int j = 0; j < garbage.length; j++) {
                            garbage[j] = new byte[64 + r.nextInt(64)];
                        }
                        System.gc();
                        Thread.sleep(20); // let the reference handler run the direct buffers' cleaners
                        for (int j = 0; j < 200; j++) { // and let malloc hand the freed chunks out again
                            ByteBuffer.allocateDirect(8).putDouble(0, 1e300);
                        }
                    }
                }
                gc.backward(loss);
            }
            return new double[][] {x.getGradient().toDoubleArray(), h.getGradient().toDoubleArray(), gamma.getGradient().toDoubleArray()};
        }
    }

    @Test
    void gradientsDoNotDependOnWhenTheGcRuns() throws Exception {
        double[][] quiet = gradients(false);
        double[][] collected = gradients(true);
        for (int i = 0; i < quiet.length; i++) {
            assertThat(collected[i]).as("gradient %d", i).containsExactly(quiet[i]);
            assertThat(Arrays.stream(quiet[i]).boxed().toList()).as("gradient %d is finite and non-zero", i)
                    .allMatch(Double::isFinite).anyMatch(v -> v != 0);
        }
    }

    /** No class calls a DJL NDArray op with a Number argument; {@link Ops} has the safe forms. */
    @Test
    void noCodeUsesDjlNumberOverloads() throws IOException, URISyntaxException {
        Path classes = Path.of(Ops.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        byte[] needle = "(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;".getBytes(StandardCharsets.UTF_8);
        List<String> offenders;
        try (Stream<Path> files = Files.walk(classes)) {
            offenders = files.filter(p -> p.toString().endsWith(".class")).filter(p -> contains(read(p), needle))
                    .map(p -> classes.relativize(p).toString()).toList();
        }
        assertThat(classes.resolve("dev/moore4j/model/Ops.class")).exists();
        assertThat(offenders).as("classes using NDArray.mul(Number) etc.; use Ops.mul(x, c) and friends").isEmpty();
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
