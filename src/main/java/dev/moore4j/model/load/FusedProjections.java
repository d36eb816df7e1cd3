package dev.moore4j.model.load;

import dev.moore4j.io.HostTensor;
import dev.moore4j.io.WeightSource;
import dev.moore4j.model.llama.LlamaConfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Phi-3's layout: a layer's q, k and v projections stored as one {@code qkv_proj} (their rows stacked in that order)
 * and the gate and up projections as one {@code gate_up_proj} (gate first). Read as the separate projections Llama
 * has, so every method adapts them as it does Llama's; written fused again on export.
 */
final class FusedProjections {
    private FusedProjections() {}

    /** Each separate projection as its rows of the fused tensor the file holds. */
    static Map<String, WeightSource.RowRange> parts(LlamaConfig c, Set<String> stored) {
        Map<String, WeightSource.RowRange> out = new LinkedHashMap<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            long from = 0;
            for (var e : qkvRows(c).entrySet()) {
                for (String kind : new String[] {"weight", "bias"}) {
                    String fused = p + "self_attn.qkv_proj." + kind;
                    if (stored.contains(fused)) {
                        out.put(p + "self_attn." + e.getKey() + "." + kind, new WeightSource.RowRange(fused, from, e.getValue()));
                    }
                }
                from += e.getValue();
            }
            String gateUp = p + "mlp.gate_up_proj.weight";
            if (stored.contains(gateUp)) {
                out.put(p + "mlp.gate_proj.weight", new WeightSource.RowRange(gateUp, 0, c.intermediateSize()));
                out.put(p + "mlp.up_proj.weight", new WeightSource.RowRange(gateUp, c.intermediateSize(), c.intermediateSize()));
            }
        }
        return out;
    }

    private static Map<String, Long> qkvRows(LlamaConfig c) {
        Map<String, Long> rows = new LinkedHashMap<>();
        rows.put("q_proj", (long) c.numAttentionHeads() * c.headDim());
        rows.put("k_proj", (long) c.numKeyValueHeads() * c.headDim());
        rows.put("v_proj", (long) c.numKeyValueHeads() * c.headDim());
        return rows;
    }

    /** The weights with each layer's separate projections stacked into the fused tensors, in the file's order. */
    static Map<String, HostTensor> fuse(LlamaConfig c, Map<String, HostTensor> weights) {
        Map<String, HostTensor> out = new LinkedHashMap<>(weights);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            for (String kind : new String[] {"weight", "bias"}) {
                String q = p + "self_attn.q_proj." + kind;
                if (weights.containsKey(q)) {
                    out.put(p + "self_attn.qkv_proj." + kind, stack(out.remove(q), out.remove(p + "self_attn.k_proj." + kind),
                            out.remove(p + "self_attn.v_proj." + kind)));
                }
            }
            String gate = p + "mlp.gate_proj.weight";
            if (weights.containsKey(gate)) {
                out.put(p + "mlp.gate_up_proj.weight", stack(out.remove(gate), out.remove(p + "mlp.up_proj.weight")));
            }
        }
        return out;
    }

    private static HostTensor stack(HostTensor... parts) {
        long rows = 0;
        int size = 0;
        for (HostTensor t : parts) {
            rows += t.shape()[0];
            size += t.data().length;
        }
        float[] data = new float[size];
        int at = 0;
        for (HostTensor t : parts) {
            System.arraycopy(t.data(), 0, data, at, t.data().length);
            at += t.data().length;
        }
        long[] shape = parts[0].shape().clone();
        shape[0] = rows;
        return new HostTensor(shape, data);
    }
}
