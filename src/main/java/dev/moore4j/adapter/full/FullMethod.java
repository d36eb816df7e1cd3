package dev.moore4j.adapter.full;

import ai.djl.ndarray.NDArray;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.Param;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Mergeable;

import java.util.List;

/** Full fine-tuning of the target weights (biases, embeddings and norms stay frozen, as for every method). */
@Method.Named(value = "full", summary = "full fine-tuning of the target weights",
        display = "full fine-tuning", colour = 0x222222, kind = Method.Kind.FULL)
public final class FullMethod extends LinearMethod<FullMethod.Config> {
    /** @param targets target patterns (default: all linear layers) */
    public record Config(List<String> targets) implements MethodConfig {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
        }
    }

    @Override
    public boolean merges() {
        return true;
    }

    @Override
    public Config defaults() {
        return new Config(List.of());
    }

    @Override
    protected void check(Config c, String slot, int dIn, int dOut, int tasks) {}

    @Override
    protected long layerCount(Config c, int dIn, int dOut, int tasks) {
        return (long) dIn * dOut;
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        Param weight = new Param(slot + ".weight", w.weightInOut().duplicate());
        w.closeWeight();
        return new FullLinear(slot, weight, w.bias());
    }

    /** y = W x + b with W trainable (stored [d_in, d_out], like every frozen weight here). */
    static final class FullLinear implements AdapterLayer, Mergeable {
        private final String name;
        private final Param weight;
        private final NDArray bias;

        FullLinear(String name, Param weight, NDArray bias) {
            this.name = name;
            this.weight = weight;
            this.bias = bias;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public NDArray forward(NDArray x, ForwardContext ctx) {
            NDArray y = x.matMul(weight.value());
            return bias == null ? y : y.add(bias);
        }

        @Override
        public NDArray mergedWeightInOut() {
            return weight.value().duplicate().stopGradient();
        }

        @Override
        public NDArray bias() {
            return bias;
        }

        @Override
        public List<Param> parameters() {
            return List.of(weight);
        }

        @Override
        public double trainFlopsPerToken() {
            return 6.0 * inFeatures() * outFeatures();
        }

        @Override
        public int inFeatures() {
            return (int) weight.value().getShape().get(0);
        }

        @Override
        public int outFeatures() {
            return (int) weight.value().getShape().get(1);
        }

        @Override
        public void close() {
            weight.value().close();
            if (bias != null) {
                bias.close();
            }
        }
    }
}
