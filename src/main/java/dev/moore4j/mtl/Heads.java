package dev.moore4j.mtl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.adapter.Param;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One linear head per task on the pooled encoder state: [D, C] for a classification task with C labels,
 * [D, 1] for regression and for multiple choice (one score per (question, choice) pair).
 * Saved as {@code heads.{task}.weight} ([D, C]) and {@code heads.{task}.bias} ([C]).
 */
public final class Heads {
    private final Map<String, Param[]> byTask = new LinkedHashMap<>();

    Heads(List<TaskSpec> tasks, int dim, long seed, NDManager m) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (TaskSpec t : tasks) {
            int out = t.kind() == TaskKind.CLASSIFICATION ? t.labels().size() : 1;
            float[] w = new float[dim * out];
            for (int i = 0; i < w.length; i++) { // small uniform init, so every task starts near chance
                w[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.02);
            }
            byTask.put(t.name(), new Param[] {
                    new Param("heads." + t.name() + ".weight", m.create(w, new Shape(dim, out))),
                    new Param("heads." + t.name() + ".bias", m.zeros(new Shape(out)))});
        }
    }

    /** Parameters of the heads of {@code tasks} on a {@code dim}-wide encoder. */
    public static long count(List<TaskSpec> tasks, int dim) {
        long n = 0;
        for (TaskSpec t : tasks) {
            int out = t.kind() == TaskKind.CLASSIFICATION ? t.labels().size() : 1;
            n += (long) dim * out + out;
        }
        return n;
    }

    /** x [N, D] → [N, C]. */
    NDArray apply(String task, NDArray x) {
        Param[] p = byTask.get(task);
        return x.matMul(p[0].value()).add(p[1].value());
    }

    List<Param> parameters() {
        List<Param> out = new ArrayList<>();
        byTask.values().forEach(p -> out.addAll(List.of(p)));
        return out;
    }

    void putState(Map<String, HostTensor> out) {
        for (Param p : parameters()) {
            out.put(p.name(), HostTensor.of(p.value()));
        }
    }

    void loadState(Safetensors.Reader r) {
        for (Param p : parameters()) {
            long[] shape = p.value().getShape().getShape();
            HostTensor t = r.read(p.name(), shape);
            p.set(p.value().getManager().create(t.data(), new Shape(shape)));
        }
    }
}
