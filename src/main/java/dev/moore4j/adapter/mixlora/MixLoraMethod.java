package dev.moore4j.adapter.mixlora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterModule;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Param;
import dev.moore4j.adapter.TargetMatcher;
import dev.moore4j.adapter.common.ExpertLoraMethod;
import dev.moore4j.adapter.common.LoraBank;
import dev.moore4j.adapter.common.LowRankLinear;
import dev.moore4j.adapter.common.Router;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.FfnSlot;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.Ops;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.util.Progress;

import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * MixLoRA: a sparse mixture at the FFN level. A router picks the top-k (2 of 8) experts per token,
 * renormalised; expert e is the frozen FFN block with its own LoRA on each of its projections, and only
 * the tokens routed to e run through it. Targeted attention projections get plain LoRA. A load-balance
 * loss {@code coef · E · Σ_e f_e P_e} keeps the experts in use.
 */
@Method.Named(value = "mixlora", summary = "MixLoRA: top-2 of 8 FFN experts (frozen FFN + LoRA each), LoRA on attention",
        display = "MixLoRA", colour = 0xE69F00, kind = Method.Kind.MIXTURE)
public final class MixLoraMethod implements Method<MixLoraMethod.Config> {
    /**
     * @param experts     FFN experts per block (default 8)
     * @param topK        experts per token (default 2)
     * @param r           rank of every LoRA (default 8)
     * @param alpha       scale numerator, α/r (default 16)
     * @param dropout     dropout on the LoRA inputs (default 0.05)
     * @param balanceCoef load-balance loss coefficient (default 1e-3; 0 = off)
     * @param targets     target patterns (default: all linear layers); an FFN block becomes a mixture when
     *                    any of its projections is targeted
     */
    public record Config(int experts, int topK, int r, double alpha, double dropout, double balanceCoef, List<String> targets)
            implements ExpertLoraMethod.Spec {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            ExpertLoraMethod.Spec.validate(experts, topK, r, dropout);
            if (topK == 0) {
                throw new MooreException("key 'top_k' must be at least 1: MixLoRA routes each token to top_k experts");
            }
        }
    }

    @Override
    public Config defaults() {
        return new Config(8, 2, 8, 16, 0.05, 1e-3, List.of());
    }

    /** The targeted FFN blocks and the targeted linears outside them. */
    private record Plan(List<FfnSlot> blocks, List<LinearSlot> attention) {}

    private static Plan plan(TransformerModel model, Config c) {
        List<LinearSlot> targets = TargetMatcher.select(model, c.targets().isEmpty() ? List.of(TargetMatcher.ALL_LINEAR) : c.targets());
        Set<String> targeted = new HashSet<>();
        targets.forEach(s -> targeted.add(s.name()));
        List<FfnSlot> blocks = new ArrayList<>();
        Set<String> inBlocks = new HashSet<>();
        for (FfnSlot f : model.ffnSlots()) {
            f.projections().forEach(p -> inBlocks.add(p.name()));
            if (f.projections().stream().anyMatch(p -> targeted.contains(p.name()))) {
                blocks.add(f);
            }
        }
        return new Plan(blocks, targets.stream().filter(s -> !inBlocks.contains(s.name())).toList());
    }

    @Override
    public long count(TransformerModel model, Config c, int tasks) {
        Plan p = plan(model, c);
        long n = 0;
        for (LinearSlot s : p.attention()) {
            n += LoraBank.count(1, c.r(), s.get().inFeatures(), s.get().outFeatures(), LoraBank.A.PER_EXPERT);
        }
        for (FfnSlot f : p.blocks()) {
            for (LinearSlot s : f.projections()) {
                n += LoraBank.count(c.experts(), c.r(), s.get().inFeatures(), s.get().outFeatures(), LoraBank.A.PER_EXPERT);
            }
            n += (long) c.experts() * f.projections().get(0).get().inFeatures();
        }
        return n;
    }

    @Override
    public List<AdapterModule> inject(TransformerModel model, Config c, AdaptContext ctx) {
        Plan p = plan(model, c);
        List<LinearSlot> all = new ArrayList<>(p.attention());
        p.blocks().forEach(f -> all.addAll(f.projections()));
        for (LinearSlot s : all) {
            if (!(s.get() instanceof DenseLinear)) {
                throw new MooreException(s.name() + ": already adapted (" + s.get().getClass().getSimpleName() + ")");
            }
            if (c.r() > Math.min(s.get().inFeatures(), s.get().outFeatures())) {
                throw new MooreException("mixlora: key 'r' = " + c.r() + " exceeds min(d_in, d_out) of " + s.name());
            }
        }
        List<AdapterModule> out = new ArrayList<>();
        int index = 0;
        try (ProgressBar pb = Progress.bar(name(), p.attention().size() + p.blocks().size())) {
            for (LinearSlot s : p.attention()) {
                DenseLinear w = (DenseLinear) s.get();
                LoraBank bank = new LoraBank(s.name(), 1, c.r(), w.inFeatures(), w.outFeatures(), LoraBank.A.PER_EXPERT, new SplittableRandom(ctx.layerSeed(index++)),
                        w.weightInOut().getManager(), Ops.computeType(w.weightInOut())); // fp32 where W is 16-bit
                LowRankLinear layer = LowRankLinear.single(s.name(), w.weightInOut(), w.bias(), bank, c.alpha() / c.r(), c.dropout());
                s.set(layer);
                out.add(layer);
                pb.step();
            }
            for (FfnSlot f : p.blocks()) {
                MixLoraFfn ffn = new MixLoraFfn(f, c, new SplittableRandom(ctx.layerSeed(index++)));
                f.set(ffn);
                out.add(ffn);
                pb.step();
            }
        }
        return out;
    }

    /** One FFN block as a top-k mixture of (frozen FFN + per-expert LoRA) experts. */
    static final class MixLoraFfn implements AdapterModule, FfnSlot.Ffn {
        private final FfnSlot block;
        private final Config c;
        private final Router router;
        private final List<LoraBank> banks = new ArrayList<>(); // one per projection, E experts each

        MixLoraFfn(FfnSlot block, Config c, SplittableRandom rnd) {
            this.block = block;
            this.c = c;
            DenseLinear first = (DenseLinear) block.projections().get(0).get();
            NDManager m = first.weightInOut().getManager();
            DataType dt = Ops.computeType(first.weightInOut()); // trainables: fp32 where W is 16-bit
            this.router = new Router(block.name() + ".router", c.experts(), first.inFeatures(), c.topK(), c.balanceCoef(), rnd, m, dt);
            for (LinearSlot s : block.projections()) {
                banks.add(new LoraBank(s.name(), c.experts(), c.r(), s.get().inFeatures(), s.get().outFeatures(), LoraBank.A.PER_EXPERT, rnd, m, dt));
            }
        }

        @Override
        public String name() {
            return block.name();
        }

        /**
         * Dispatch without reading the routing back token by token: the N·k (token, expert) pairs are sorted by
         * expert on the device, each expert runs once on its contiguous run of tokens, and the outputs are put
         * back in (token, slot) order by the inverse permutation and summed over the k slots. The host reads only
         * the E token counts, which the split needs.
         */
        @Override
        public NDArray forward(NDArray x, ForwardContext ctx) {
            long[] shape = x.getShape().getShape().clone();
            NDArray flat = x.reshape(-1, shape[shape.length - 1]);
            long n = flat.getShape().get(0);
            int k = c.topK();
            NDManager m = flat.getManager();
            NDArray gates = router.gates(flat, ctx);                                        // [N, E], zero off the top-k
            NDArray chosen = gates.stopGradient().topK(k, -1).get(1);                         // [N, k] expert ids
            NDArray gate = gates.gather(chosen, 1).reshape(-1);                              // [N·k], with autograd
            NDArray experts = chosen.reshape(-1);
            NDArray order = experts.argSort(0, true);                                        // pairs grouped by expert
            NDArray tokens = m.arange(0, (int) n, 1, DataType.INT64).expandDims(1).repeat(1, k).reshape(-1).get(order);
            long[] counts = experts.oneHot(c.experts()).sum(new int[] {0}).toType(DataType.INT64, false).toLongArray();
            NDArray xs = flat.get(tokens);
            double scale = c.alpha() / c.r();
            NDList parts = new NDList();
            long start = 0;
            for (int e = 0; e < counts.length; e++) {
                if (counts[e] == 0) {
                    continue;
                }
                NDArray xe = xs.get("{}:{}", start, start + counts[e]);
                start += counts[e];
                int expert = e;
                parts.add(block.apply(xe, (i, in) -> {
                    NDArray[] ab = banks.get(i).expert(expert);
                    NDArray lora = Ops.dropout(in, c.dropout(), ctx.training()).matMul(ab[0].transpose()).matMul(ab[1]);
                    return block.projections().get(i).forward(in, ctx).add(Ops.mul(lora, scale));
                }));
            }
            NDArray sorted = (parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0)).mul(gate.get(order).expandDims(1));
            NDArray y = sorted.get(order.argSort(0, true)).reshape(n, k, -1).sum(new int[] {1}); // back to (token, slot)
            shape[shape.length - 1] = y.getShape().get(1);
            return y.reshape(shape);
        }

        @Override
        public List<Param> parameters() {
            List<Param> ps = new ArrayList<>();
            banks.forEach(b -> ps.addAll(b.parameters()));
            ps.add(router.param());
            return ps;
        }

        /** k experts per token, each the frozen projections (4·d_in·d_out) plus its LoRAs (6·r·(d_in + d_out)); and the router. */
        @Override
        public double trainFlopsPerToken() {
            double perExpert = 0;
            for (LinearSlot s : block.projections()) {
                double in = s.get().inFeatures();
                double out = s.get().outFeatures();
                perExpert += 4 * in * out + 6.0 * c.r() * (in + out);
            }
            return c.topK() * perExpert + router.trainFlopsPerToken(block.projections().get(0).get().inFeatures());
        }

        /** Per chosen expert, every projection's input and output and the activation (the block's own input aside). */
        @Override
        public double keptFloatsPerToken() {
            double perExpert = 0;
            for (LinearSlot s : block.projections()) {
                perExpert += s.get().inFeatures() + 2.0 * s.get().outFeatures() + 2.0 * c.r();
            }
            return c.topK() * perExpert;
        }

        @Override
        public double[] takeExpertLoad() {
            return router.takeLoad();
        }

        @Override
        public void close() {
            parameters().forEach(p -> p.value().close());
        }
    }
}
