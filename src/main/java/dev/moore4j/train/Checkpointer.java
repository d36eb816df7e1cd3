package dev.moore4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.adapter.Param;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.Safetensors;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run's checkpoints under its output directory, in {@link Checkpoint}'s format: {@code best/} whenever the
 * evaluation improves, {@code last/} (resumable: optimizer moments and {@link TrainState}) at every evaluation
 * and stop, and {@code nan-step-N/} with the parameters and batch of a step that went non-finite.
 */
final class Checkpointer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path out;
    private final TaskModel model;
    private final TrainConfig cfg;
    private final String baseReference;
    private final int totalSteps;
    private final ArrayNode stages;

    /** @param stages the adapter's stages, this run's last ({@code steps} is added here); null: none recorded */
    Checkpointer(Path out, TaskModel model, TrainConfig cfg, String baseReference, int totalSteps, ArrayNode stages) {
        this.out = out;
        this.model = model;
        this.cfg = cfg;
        this.baseReference = baseReference;
        this.totalSteps = totalSteps;
        this.stages = stages;
        if (stages != null && !stages.isEmpty()) {
            ((ObjectNode) stages.get(stages.size() - 1)).put("steps", totalSteps);
        }
    }

    Path last() {
        return out.resolve("last");
    }

    void saveBest(TrainState s) {
        Checkpoint.write(out.resolve("best"), model, cfg, baseReference, info(s), null, null);
    }

    void saveLast(TrainState s, AdamW adapterOpt, AdamW headOpt) {
        Map<String, Safetensors.Source> moments = new TreeMap<>(adapterOpt.state());
        moments.putAll(headOpt.state());
        Checkpoint.write(last(), model, cfg, baseReference, info(s), moments, s.toJson(totalSteps));
    }

    private ObjectNode info(TrainState s) {
        ObjectNode info = JSON.createObjectNode();
        info.put("step", s.step);
        info.put("total_steps", totalSteps);
        if (stages != null) {
            info.set("stages", stages);
        }
        return info;
    }

    /**
     * The state of {@code last/} with the model's tensors and both optimizers restored from it, after recovering
     * a checkpoint swap a crash interrupted; null when there is nothing to resume.
     */
    TrainState resume(AdamW adapterOpt, List<Param> adapter, AdamW headOpt, List<Param> heads) {
        Checkpoint.Resumed r = Checkpoint.resume(out, model);
        if (r.state() == null) {
            return null;
        }
        TrainState s = TrainState.fromJson(r.state());
        adapterOpt.load(adapter, r.optimizer(), s.step);
        headOpt.load(heads, r.optimizer(), s.step);
        return s;
    }

    /** The parameters before a failed step and the sources of its batch, to reproduce it; returns the directory. */
    Path dumpBadStep(List<Example> batch, int step) {
        Path dir = out.resolve("nan-step-" + step);
        ObjectNode info = JSON.createObjectNode();
        info.put("step", step);
        info.set("batch", JSON.valueToTree(batch.stream().map(e -> e.task() + " " + e.source()).toList()));
        Checkpoint.save(dir, model, cfg, baseReference, info);
        return dir;
    }
}
