package dev.moore4j.checkpoint;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Param;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.io.WeightsDtype;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The one on-disk format of a trained adapter, for every method and command. A checkpoint directory holds
 * {@value #WEIGHTS} (adapter and head tensors; metadata: method, base hash) and {@value #CONFIG} (method, the
 * method's full config, training config, task-id map, base-model reference and hash, head names), each written
 * atomically; a resumable one ({@code last/}) adds {@value #OPTIMIZER} (AdamW moments) and {@value #STATE}
 * (step, counters, evaluation history). Directories are replaced by a rename swap ({@link #write}), which
 * {@link #recover} finishes or undoes after a crash.
 */
public final class Checkpoint {
    public static final String WEIGHTS = "adapter.safetensors";
    public static final String CONFIG = "adapter_config.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /** Writes the adapter files into {@code dir} (created if needed); {@code info} fields are added to the config. */
    public static void save(Path dir, TaskModel model, TrainConfig cfg, String baseReference, ObjectNode info) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot create: " + e.getMessage());
        }
        TransformerModel base = model.base();
        Safetensors.write(dir.resolve(WEIGHTS), model.state(), Map.of("method", cfg.method(), "base_hash", base.weightsHash()));
        ObjectNode c = JSON.createObjectNode();
        c.put("format", "moore4j-adapter");
        c.put("method", cfg.method());
        c.put("base_model", baseReference);
        c.put("base_hash", base.weightsHash());
        c.put("family", base.family());
        c.set("train", cfg.withResolvedAdapter().toJson());
        c.set("adapter", model.adapter().configJson());
        c.put("trainable_parameters", model.adapter().trainableCount());
        ArrayNode tasks = c.putArray("tasks");
        for (int i = 0; i < model.tasks().size(); i++) {
            TaskSpec t = model.tasks().get(i);
            ObjectNode tn = tasks.addObject();
            tn.put("id", i);
            tn.put("name", t.name());
            tn.put("kind", t.kind().label());
            tn.set("labels", JSON.valueToTree(t.labels()));
            tn.put("metric", t.metric());
        }
        c.set("heads", JSON.valueToTree(model.headParameters().stream().map(Param::name).toList()));
        if (info != null) {
            c.setAll(info);
        }
        AtomicFiles.writeString(dir.resolve(CONFIG), c.toPrettyString() + "\n");
    }

    /**
     * Replaces checkpoint {@code dir} as a whole: writes {@code dir.partial} (the adapter, then, when
     * {@code optimizer} is not null, the optimizer moments and {@code trainerState} last, as the marker of
     * a complete resumable checkpoint), moves {@code dir} to {@code dir.old}, {@code dir.partial} to {@code dir},
     * and deletes {@code dir.old}.
     */
    public static void write(Path dir, TaskModel model, TrainConfig cfg, String baseReference, ObjectNode info,
                             Map<String, Safetensors.Source> optimizer, ObjectNode trainerState) {
        Path tmp = partial(dir);
        AtomicFiles.deleteTree(tmp);
        save(tmp, model, cfg, baseReference, info);
        if (optimizer != null) {
            Safetensors.writeSources(tmp.resolve(OPTIMIZER), optimizer, Map.of());
            AtomicFiles.writeString(tmp.resolve(STATE), trainerState.toPrettyString() + "\n");
        }
        Path old = old(dir);
        try {
            AtomicFiles.deleteTree(old);
            if (Files.exists(dir)) {
                Files.move(dir, old);
            }
            Files.move(tmp, dir);
            AtomicFiles.deleteTree(old);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot write checkpoint: " + e.getMessage());
        }
    }

    /**
     * Finishes or undoes a swap of {@link #write} that a crash interrupted: with {@code dir} missing, a complete
     * {@code dir.partial} ({@code marker} present: it is written last) is the newer checkpoint, else
     * {@code dir.old} is the last complete one. A partial without its marker is discarded.
     */
    public static void recover(Path dir, String marker) {
        Path tmp = partial(dir);
        Path old = old(dir);
        try {
            if (!Files.isDirectory(dir)) {
                if (Files.isRegularFile(tmp.resolve(marker))) {
                    Files.move(tmp, dir);
                    System.err.println("recovered " + dir + " from an interrupted checkpoint swap");
                } else if (Files.isDirectory(old)) {
                    Files.move(old, dir);
                    System.err.println("recovered " + dir + " from its previous checkpoint");
                }
            }
            AtomicFiles.deleteTree(tmp);
            AtomicFiles.deleteTree(old);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot recover the checkpoint: " + e.getMessage());
        }
    }

    /** What {@link #resume} restored: the trainer state (null: nothing to resume) and the optimizer moments. */
    public record Resumed(JsonNode state, Safetensors.Reader optimizer) {}

    /**
     * Recovers the {@code last/} and {@code best/} checkpoints of run directory {@code out} after a crash and,
     * when {@code last/} is resumable, restores the model's tensors from it.
     */
    public static Resumed resume(Path out, TaskModel model) {
        Path last = out.resolve("last");
        recover(last, STATE);
        recover(out.resolve("best"), CONFIG);
        if (!Files.isRegularFile(last.resolve(STATE))) {
            return new Resumed(null, null);
        }
        JsonNode state;
        try {
            state = JSON.readTree(last.resolve(STATE).toFile());
        } catch (IOException e) {
            throw new MooreException(last.resolve(STATE) + ": cannot read trainer state: " + e.getMessage());
        }
        model.loadState(Safetensors.open(last.resolve(WEIGHTS)));
        return new Resumed(state, Safetensors.open(last.resolve(OPTIMIZER)));
    }

    /** The parsed {@value #CONFIG} of a checkpoint directory, or an error naming the directory or file. */
    public static JsonNode readInfo(Path dir) {
        Path f = dir.resolve(CONFIG);
        if (!Files.isRegularFile(f)) {
            throw new MooreException(dir + ": not an adapter directory (no " + CONFIG + ")");
        }
        try {
            JsonNode n = JSON.readTree(f.toFile());
            if (!"moore4j-adapter".equals(n.path("format").asText())) {
                throw new MooreException(f + ": field 'format' is not 'moore4j-adapter'");
            }
            return n;
        } catch (IOException e) {
            throw new MooreException(f + ": cannot parse: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** An opened checkpoint: its task model (base loaded, hash checked, tensors restored), config and base. */
    public record Opened(TaskModel model, TrainConfig config, ModelLoader.Loaded loaded, JsonNode info) implements AutoCloseable {
        @Override
        public void close() {
            loaded.close();
        }
    }

    /** Opens a checkpoint on its base model (or {@code modelOverride}, which must have the same weights), folded for inference. */
    public static Opened open(Path dir, String modelOverride, NDManager m) {
        return open(dir, modelOverride, null, m);
    }

    /** As {@link #open(Path, String, NDManager)}, the frozen weights held as {@code dtype} (null: as the adapter was trained). */
    public static Opened open(Path dir, String modelOverride, WeightsDtype dtype, NDManager m) {
        JsonNode info = readInfo(dir);
        for (String f : new String[] {"base_hash", "method"}) {
            if (!info.path(f).isTextual()) {
                throw new MooreException(dir.resolve(CONFIG) + ": field '" + f + "' missing or not a string");
            }
        }
        TrainConfig cfg = TrainConfig.fromJson(info.get("train"), dir.resolve(CONFIG) + ": field 'train'");
        String ref = modelOverride != null ? modelOverride : info.path("base_model").asText(cfg.model());
        ModelLoader.Loaded loaded = ModelLoader.load(ref, m, dtype != null ? dtype : cfg.frozenWeights());
        try {
            String want = info.path("base_hash").asText();
            if (!want.equals(loaded.model().weightsHash())) {
                throw new MooreException(dir + ": adapter was trained on base model " + info.path("base_model").asText() + " (weights "
                        + shortHash(want) + "), but " + ref + " has weights " + shortHash(loaded.model().weightsHash()));
            }
            List<TaskSpec> tasks = TaskRegistry.resolveAll(cfg.tasks());
            TaskModel model = Pipeline.build(cfg, tasks, loaded);
            model.loadState(Safetensors.open(dir.resolve(WEIGHTS)));
            model.adapter().fold(); // opened for inference: merged / folded weights where the method allows
            return new Opened(model, cfg, loaded, info);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    private static Path partial(Path dir) {
        return dir.resolveSibling(dir.getFileName() + ".partial");
    }

    private static Path old(Path dir) {
        return dir.resolveSibling(dir.getFileName() + ".old");
    }

    private static String shortHash(String h) {
        return h.length() > 12 ? h.substring(0, 12) : h;
    }
}
