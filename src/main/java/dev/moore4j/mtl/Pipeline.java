package dev.moore4j.mtl;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Methods;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.io.Safetensors;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.task.DataReaders;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds task models from configs and reads and writes adapter checkpoints: a directory with
 * {@code adapter.safetensors} (adapter and head tensors; metadata: method, base hash) and
 * {@code adapter_config.json} (method, training config, MoORE hyperparameters, target modules,
 * task-id map, base-model reference and hash, head names), each written atomically.
 */
public final class Pipeline {
    public static final String WEIGHTS = "adapter.safetensors";
    public static final String CONFIG = "adapter_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Pipeline() {}

    /** Data root: the given directory, else $MOORE4J_DATA, else ../shared/data. */
    public static Path dataRoot(String data) {
        return data != null && !data.isBlank() ? Path.of(data) : SharedPaths.data();
    }

    /** A task model over a loaded base with the config's method injected (for heads only, nothing is). */
    public static TaskModel build(TrainConfig cfg, List<TaskSpec> tasks, ModelLoader.Loaded loaded) {
        if (loaded.model() instanceof LlamaModel && Methods.count(cfg.method(), loaded.model(), cfg.methodConfig(), tasks.size()) == 0) {
            throw new MooreException("method '" + cfg.method() + "' trains nothing on a decoder; " + loaded.reference()
                    + " scores label tokens with its own LM head, so it needs an adapter method (e.g. lora or moore)");
        }
        FactorCache cache = new FactorCache(SharedPaths.cache().resolve("svd"));
        Adapter adapter = Adapter.attach(loaded.model(), cfg.method(), cfg.methodConfig(), new AdaptContext(tasks.size(), cfg.seed(), cache));
        if (loaded.model() instanceof BertModel bert) {
            return new EncoderTaskModel(bert, loaded.tokenizer(), adapter, tasks, cfg.maxLength(), cfg.seed());
        }
        if (loaded.model() instanceof LlamaModel llama) {
            return new DecoderTaskModel(llama, loaded.tokenizer(), adapter, tasks, cfg.wholeSequenceLoss(), cfg.maxLength());
        }
        throw new MooreException(loaded.reference() + ": model family '" + loaded.model().family() + "' has no task pipeline");
    }

    /** One split of every task, capped per task; skipped bad rows are reported on stderr. */
    public static Map<String, List<Example>> load(List<TaskSpec> tasks, boolean train, TrainConfig cfg) {
        Path root = dataRoot(cfg.data());
        Map<String, List<Example>> out = new LinkedHashMap<>();
        for (TaskSpec t : tasks) {
            DataReaders.Result r = TaskRegistry.load(t, train, root, train ? cfg.maxTrainExamples() : cfg.maxEvalExamples(), cfg.seed(),
                    cfg.skipBadRows(), cfg.validationExamples());
            if (r.skipped() > 0) {
                System.err.println("warning: task '" + t.name() + "': skipped " + r.skipped() + " bad rows");
            }
            if (train && t.kind() == dev.moore4j.task.TaskKind.MULTIPLE_CHOICE) {
                checkChoices(t, r.examples());
            }
            out.put(t.name(), r.examples());
        }
        return out;
    }

    private static void checkChoices(TaskSpec t, List<Example> ex) {
        for (Example e : ex) {
            if (e.choices().size() < 2) {
                throw new MooreException(e.source() + ": multiple-choice example of task '" + t.name() + "' has fewer than 2 choices");
            }
        }
    }

    /** Writes a checkpoint directory; {@code extra} tensors (optimizer state) go to a second file when non-null. */
    public static void save(Path dir, TaskModel model, TrainConfig cfg, String baseReference, ObjectNode info) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot create: " + e.getMessage());
        }
        var base = baseOf(model);
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
        c.set("heads", JSON.valueToTree(model.state().keySet().stream().filter(k -> k.startsWith("heads.")).toList()));
        if (info != null) {
            c.setAll(info);
        }
        AtomicFiles.writeString(dir.resolve(CONFIG), c.toPrettyString() + "\n");
    }

    public static dev.moore4j.model.TransformerModel baseOf(TaskModel m) {
        if (m instanceof EncoderTaskModel e) {
            return e.base();
        }
        return ((DecoderTaskModel) m).base();
    }

    /** An opened adapter checkpoint: its task model (base loaded, hash checked, tensors restored), config and base. */
    public record Opened(TaskModel model, TrainConfig config, ModelLoader.Loaded loaded, JsonNode info) implements AutoCloseable {
        @Override
        public void close() {
            loaded.close();
        }
    }

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

    /** Opens a checkpoint on its base model (or {@code modelOverride}, which must have the same weights). */
    public static Opened open(Path dir, String modelOverride, NDManager m) {
        JsonNode info = readInfo(dir);
        for (String f : new String[] {"base_hash", "method"}) {
            if (!info.path(f).isTextual()) {
                throw new MooreException(dir.resolve(CONFIG) + ": field '" + f + "' missing or not a string");
            }
        }
        TrainConfig cfg = TrainConfig.fromJson(info.get("train"), dir.resolve(CONFIG) + ": field 'train'");
        String ref = modelOverride != null ? modelOverride : info.path("base_model").asText(cfg.model());
        ModelLoader.Loaded loaded = ModelLoader.load(ref, m);
        try {
            String want = info.path("base_hash").asText();
            if (!want.equals(loaded.model().weightsHash())) {
                throw new MooreException(dir + ": adapter was trained on base model " + info.path("base_model").asText() + " (weights "
                        + shortHash(want) + "), but " + ref + " has weights " + shortHash(loaded.model().weightsHash()));
            }
            List<TaskSpec> tasks = TaskRegistry.resolveAll(cfg.tasks());
            TaskModel model = build(cfg, tasks, loaded);
            model.loadState(Safetensors.open(dir.resolve(WEIGHTS)));
            model.adapter().fold(); // opened for inference: merged / folded weights where the method allows
            return new Opened(model, cfg, loaded, info);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    private static String shortHash(String h) {
        return h.length() > 12 ? h.substring(0, 12) : h;
    }

    /** Tensors of a map, for optimizer checkpoints. */
    public static void writeTensors(Path file, Map<String, HostTensor> tensors) {
        Safetensors.write(file, tensors, Map.of());
    }
}
