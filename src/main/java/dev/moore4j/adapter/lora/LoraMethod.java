package dev.moore4j.adapter.lora;


import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.common.LoraBank;
import dev.moore4j.adapter.common.LowRankLinear;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.Ops;

import java.util.List;
import java.util.SplittableRandom;

/** LoRA: {@code y = W x + (α/r) B A drop(x)}, A kaiming-uniform, B zero. Folds into W for inference. */
@Method.Named(value = "lora", summary = "LoRA: W x + (alpha/r) B A x",
        display = "LoRA", colour = 0x0072B2)
public class LoraMethod extends LinearMethod<LoraMethod.Config> {
    /**
     * @param r       rank (default 8)
     * @param alpha   scale numerator, the update is scaled by α/r (default 16)
     * @param dropout dropout on the adapter's input while training (default 0.05)
     * @param targets target patterns (default: all linear layers)
     */
    public record Config(int r, double alpha, double dropout, List<String> targets) implements MethodConfig {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            MethodConfig.checkRank(r);
            MethodConfig.checkDropout("dropout", dropout);
        }
    }

    @Override
    public boolean merges() {
        return true;
    }

    @Override
    public Config defaults() {
        return new Config(8, 16, 0.05, List.of());
    }

    @Override
    protected void check(Config c, String slot, int dIn, int dOut, int tasks) {
        checkRank(name(), "r", c.r(), slot, dIn, dOut);
    }

    @Override
    protected long layerCount(Config c, int dIn, int dOut, int tasks) {
        return LoraBank.count(1, c.r(), dIn, dOut, LoraBank.A.PER_EXPERT);
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        LoraBank bank = new LoraBank(slot, 1, c.r(), w.inFeatures(), w.outFeatures(), LoraBank.A.PER_EXPERT, new SplittableRandom(ctx.layerSeed(index)),
                w.weightInOut().getManager(), Ops.computeType(w.weightInOut()));
        return LowRankLinear.single(slot, w.weightInOut(), w.bias(), bank, c.alpha() / c.r(), c.dropout());
    }

    /** The frozen W stays as loaded (16 bits with {@code --weights-dtype fp16}); A and B are fp32. */
    @Override
    protected boolean keeps16BitWeights() {
        return true;
    }
}
