package dev.moore4j.adapter;

import dev.moore4j.MooreException;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.util.Progress;

import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.List;

/**
 * A method that replaces target linear layers one by one. Subclasses say what a layer costs in
 * parameters, what makes a config invalid for a layer, and how to build it; the injection loop
 * (check all targets first, then build with per-layer seeds and a progress bar) lives here once.
 */
public abstract class LinearMethod<C extends MethodConfig> implements Method<C> {
    /** Throws a {@link MooreException} naming the offending key if {@code c} cannot adapt a {@code dIn → dOut} layer. */
    protected abstract void check(C c, String slot, int dIn, int dOut, int tasks);

    /** The adapted layer replacing {@code w} in {@code slot}. */
    protected abstract AdapterLayer layer(C c, String slot, DenseLinear w, AdaptContext ctx, int index);

    /** Trainable parameters of one adapted {@code dIn → dOut} layer. */
    protected abstract long layerCount(C c, int dIn, int dOut, int tasks);

    /**
     * Whether the method's layers work on a frozen weight held in 16 bits (they widen it per product, and keep their
     * own parameters fp32). Where not, a 16-bit weight is widened to fp32 before {@link #layer} sees it.
     */
    protected boolean keeps16BitWeights() {
        return false;
    }

    /** Default targets when the config names none. */
    protected List<String> defaultTargets() {
        return List.of(TargetMatcher.ALL_LINEAR);
    }

    protected final List<LinearSlot> targets(TransformerModel model, C c) {
        return TargetMatcher.select(model, c.targets().isEmpty() ? defaultTargets() : c.targets());
    }

    @Override
    public List<AdapterModule> inject(TransformerModel model, C c, AdaptContext ctx) {
        List<LinearSlot> targets = targets(model, c);
        for (LinearSlot s : targets) {
            if (!(s.get() instanceof DenseLinear)) {
                throw new MooreException(s.name() + ": already adapted (" + s.get().getClass().getSimpleName() + ")");
            }
            check(c, s.name(), s.get().inFeatures(), s.get().outFeatures(), ctx.tasks());
        }
        List<AdapterModule> out = new ArrayList<>();
        try (ProgressBar pb = Progress.bar(name(), targets.size())) {
            int index = 0;
            for (LinearSlot s : targets) {
                DenseLinear w = (DenseLinear) s.get();
                AdapterLayer layer = layer(c, s.name(), keeps16BitWeights() ? w : w.widened(), ctx, index++);
                s.set(layer);
                out.add(layer);
                pb.step();
            }
        }
        return out;
    }

    @Override
    public long count(TransformerModel model, C c, int tasks) {
        long n = 0;
        for (LinearSlot s : targets(model, c)) {
            n += layerCount(c, s.get().inFeatures(), s.get().outFeatures(), tasks);
        }
        return n;
    }

    /** The usual rank check: 1 ≤ r ≤ min(d_in, d_out). */
    protected static void checkRank(String method, String key, int r, String slot, int dIn, int dOut) {
        if (r < 1 || r > Math.min(dIn, dOut)) {
            throw new MooreException(method + ": key '" + key + "' = " + r + " must be between 1 and min(d_in, d_out) = " + Math.min(dIn, dOut)
                    + " of " + slot + " (" + dIn + " -> " + dOut + ")");
        }
    }
}
