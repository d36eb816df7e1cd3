package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.adapter.TargetMatcher;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.Linear;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.util.Progress;
import dev.moore4j.MooreException;

import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.List;

/** Turns a loaded model into a MoORE model: factorises each target weight and swaps in a {@link MooreLinear}. */
public final class MoEizer {
    private MoEizer() {}

    /** Per-layer factorisation report. */
    public record LayerReport(String name, int dIn, int dOut, double seconds, boolean cached) {}

    public static MooreModel moeize(TransformerModel model, MooreConfig config, FactorCache cache) {
        List<LinearSlot> targets = TargetMatcher.select(model.linearSlots(), config.targets());
        NDManager m = model.manager();
        List<MooreLinear> layers = new ArrayList<>();
        List<LayerReport> reports = new ArrayList<>();
        try (ProgressBar pb = Progress.bar("MoE-ize", targets.size())) {
            int index = 0;
            for (LinearSlot slot : targets) {
                Linear current = slot.get();
                if (!(current instanceof DenseLinear dense)) {
                    throw new MooreException(slot.name() + ": already adapted (" + current.getClass().getSimpleName() + ")");
                }
                long t0 = System.nanoTime();
                NDArray wInOut = dense.weightInOut();
                DataType dt = wInOut.getDataType();
                int dIn = dense.inFeatures();
                int dOut = dense.outFeatures();
                // SVD of Wᵀ = P diag(s) Qᵀ  ⇒  W = Q diag(s) Pᵀ: U = Q, V = P.
                FactorCache.Result r = cache.factorise(wInOut.toType(DataType.FLOAT32, false).toFloatArray(), dIn, dOut, config.svdFp64());
                Svd.Factors f = r.factors();
                NDArray v = m.create(f.p(), new Shape(dIn, f.k())).toType(dt, false);
                NDArray s = m.create(f.s(), new Shape(f.k())).toType(dt, false);
                NDArray ut = m.create(f.qt(), new Shape(f.k(), dOut)).toType(dt, false);
                MooreLinear layer = new MooreLinear(slot.name(), v, s, ut, dense.bias(), config, config.seed() * 1_000_003L + index, m);
                dense.closeWeight(); // W is not kept once factorised
                slot.set(layer);
                layers.add(layer);
                reports.add(new LayerReport(slot.name(), dIn, dOut, (System.nanoTime() - t0) / 1e9, r.cached()));
                index++;
                pb.step();
            }
        }
        return new MooreModel(model, config, layers, reports);
    }
}
