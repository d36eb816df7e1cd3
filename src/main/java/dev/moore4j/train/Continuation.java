package dev.moore4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.Split;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stage of sequential adaptation: a trained adapter continued on the tasks of this stage ({@code train --from}).
 * The task table grows at its end, so an earlier task keeps its id, its head and its rows of every per-task tensor; a
 * per-task tensor (MoORE's task embeddings, MTL-LoRA's Λ and mixing weights) gets the mean of the earlier rows for each
 * new task, as the paper routes a task it has not seen, so that the new task starts where task-free routing stands.
 * Method, hyperparameters and base model are the adapter's; the recipe (rate, steps, batch) is the stage's own.
 *
 * @param dir      the adapter directory continued
 * @param info     its {@code adapter_config.json}
 * @param previous its training config (its {@code tasks}: the task table so far)
 * @param earlier  the task table so far
 * @param stage    the tasks this stage trains (new ones, or earlier ones trained again)
 * @param specs    the task table after this stage, as task names and spec files (the run's {@code tasks})
 */
public record Continuation(Path dir, JsonNode info, TrainConfig previous, List<TaskSpec> earlier, List<TaskSpec> stage, List<String> specs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The adapter {@code from} names: the directory itself, or the {@code best/} of a run directory. */
    static Path adapterDir(String from) {
        Path p = Path.of(from);
        if (!Files.isRegularFile(p.resolve(Checkpoint.CONFIG)) && Files.isRegularFile(p.resolve("best").resolve(Checkpoint.CONFIG))) {
            return p.resolve("best");
        }
        return p;
    }

    /** The training config an adapter directory records. */
    private static TrainConfig trainConfig(Path dir, JsonNode info) {
        return TrainConfig.fromJson(info.get("train"), dir.resolve(Checkpoint.CONFIG) + ": field 'train'");
    }

    /** Reads the adapter of {@code cfg.from()} and checks that this stage can continue it. */
    public static Continuation read(TrainConfig cfg) {
        Path dir = adapterDir(cfg.from());
        JsonNode info = Checkpoint.readInfo(dir);
        TrainConfig previous = trainConfig(dir, info);
        if (!previous.method().equals(cfg.method())) {
            throw new MooreException("--from " + dir + ": the adapter was trained with method '" + previous.method()
                    + "'; a continued adapter keeps its method (drop --method, or give '" + previous.method() + "')");
        }
        if (!Methods.toJson(previous.methodConfig()).equals(Methods.toJson(cfg.methodConfig()))) {
            throw new MooreException("--from " + dir + ": the adapter's hyperparameters are " + Methods.toJson(previous.methodConfig())
                    + "; a continued adapter keeps them (drop --set / --targets)");
        }
        List<TaskSpec> earlier = TaskRegistry.resolveAll(previous.tasks());
        List<String> known = earlier.stream().map(TaskSpec::name).toList();
        List<String> specs = new ArrayList<>(previous.tasks());
        for (String spec : cfg.tasks()) {
            List<TaskSpec> ts = TaskRegistry.resolveAll(List.of(spec));
            long old = ts.stream().filter(t -> known.contains(t.name())).count();
            if (old == 0) {
                specs.add(spec);
            } else if (old < ts.size()) {
                throw new MooreException("--tasks " + spec + ": some of its tasks are in " + dir + " already and some are not; name the new ones one by one");
            }
        }
        List<TaskSpec> stage = TaskRegistry.resolveAll(cfg.tasks());
        for (TaskSpec t : stage) {
            for (TaskSpec e : earlier) {
                if (e.name().equals(t.name()) && (e.kind() != t.kind() || !e.labels().equals(t.labels()))) {
                    throw new MooreException("--tasks: task '" + t.name() + "' of " + dir + " is a " + e.kind().label() + " task with labels "
                            + e.labels() + "; this one is a " + t.kind().label() + " task with labels " + t.labels() + " (rename it)");
                }
            }
        }
        TaskRegistry.resolveAll(specs); // the grown table: a name listed twice is an error here
        return new Continuation(dir, info, previous, earlier, stage, specs);
    }

    /**
     * What {@code train --from DIR} starts from before its flags apply: the adapter's own training config (model,
     * method, hyperparameters, rates, steps, lengths), with no tasks (the stage names its own) and no replay.
     */
    public static TrainConfig recipe(String from) {
        Path dir = adapterDir(from);
        TrainConfig previous = trainConfig(dir, Checkpoint.readInfo(dir));
        return previous.toBuilder().tasks(List.of()).from(null).replay(0).build();
    }

    /** The run's config: the stage's recipe, the adapter's method and hyperparameters, and the grown task table. */
    public TrainConfig config(TrainConfig cfg) {
        return cfg.toBuilder().tasks(specs).adapter(previous.adapter()).build();
    }

    /** Refuses a base model whose weights are not those the adapter was trained on. */
    public void checkBase(TransformerModel base, String reference) {
        String want = info.path("base_hash").asText();
        if (!want.equals(base.weightsHash())) {
            throw new MooreException("--from " + dir + ": the adapter was trained on base model " + info.path("base_model").asText()
                    + ", but " + reference + " has other weights; give --model " + info.path("base_model").asText());
        }
    }

    /** Earlier tasks this stage does not train, each with {@code replay} of its training examples (none when 0). */
    public Map<String, List<Example>> replay(TrainConfig cfg) {
        if (cfg.replay() == 0) {
            return Map.of();
        }
        List<String> trained = stage.stream().map(TaskSpec::name).toList();
        List<TaskSpec> old = earlier.stream().filter(t -> !trained.contains(t.name())).toList();
        return Pipeline.load(old, Split.TRAIN, cfg.toBuilder().maxTrainExamples(cfg.replay()).build());
    }

    /**
     * The adapter's tensors into {@code model}, built over the grown table: a tensor of the same shape as stored is
     * the stored one; one whose first axis is the task axis (stored with the earlier table's length) keeps its
     * earlier rows and gets their mean for each new task; a new task's head keeps its initialisation. Anything else
     * that differs is an error naming the tensor. Loaded through the model's own {@code loadState} (a scratch file
     * under {@code scratchDir}), so its names and shapes are checked as for any checkpoint.
     */
    public void restore(TaskModel model, Path scratchDir) {
        Path weights = dir.resolve(Checkpoint.WEIGHTS);
        Map<String, HostTensor> stored = Safetensors.readAll(weights);
        int before = earlier.size();
        int after = model.tasks().size();
        List<String> newHeads = model.tasks().subList(before, after).stream().map(t -> "heads." + t.name() + ".").toList();
        Map<String, HostTensor> merged = new LinkedHashMap<>();
        model.state().forEach((name, init) -> {
            HostTensor s = stored.get(name);
            if (s == null && newHeads.stream().anyMatch(name::startsWith)) {
                merged.put(name, init);
            } else if (s == null) {
                throw new MooreException(weights + ": missing tensor '" + name + "'");
            } else if (Arrays.equals(s.shape(), init.shape())) {
                merged.put(name, s);
            } else if (taskAxis(s.shape(), init.shape(), before, after)) {
                merged.put(name, grow(s, after));
            } else {
                throw new MooreException(weights + ": tensor '" + name + "' has shape " + s.shapeString() + ", expected " + init.shapeString());
            }
        });
        Path scratch = null;
        try {
            scratch = Files.createTempFile(scratchDir, ".continued", ".safetensors");
            Safetensors.write(scratch, merged, Map.of());
            model.loadState(Safetensors.open(scratch));
        } catch (IOException e) {
            throw new MooreException(scratchDir + ": cannot write a scratch file: " + e.getMessage());
        } finally {
            if (scratch != null) {
                scratch.toFile().delete();
            }
        }
    }

    /** Whether a stored shape is the new one with the earlier table's length on its first axis. */
    static boolean taskAxis(long[] stored, long[] wanted, int before, int after) {
        return stored.length == wanted.length && stored.length > 0 && stored[0] == before && wanted[0] == after
                && Arrays.equals(Arrays.copyOfRange(stored, 1, stored.length), Arrays.copyOfRange(wanted, 1, wanted.length));
    }

    /** The stored rows, then their mean once for each new task. */
    static HostTensor grow(HostTensor t, int rows) {
        int old = (int) t.dim(0);
        int width = t.data().length / old;
        float[] mean = new float[width];
        for (int r = 0; r < old; r++) {
            for (int j = 0; j < width; j++) {
                mean[j] += t.data()[r * width + j] / old;
            }
        }
        float[] out = Arrays.copyOf(t.data(), rows * width);
        for (int r = old; r < rows; r++) {
            System.arraycopy(mean, 0, out, r * width, width);
        }
        long[] shape = t.shape().clone();
        shape[0] = rows;
        return new HostTensor(shape, out);
    }

    /**
     * The stages of the continued adapter: its own record, or, for an adapter trained in one go before stages were
     * recorded, one stage of its whole table.
     */
    public ArrayNode earlierStages() {
        if (info.path("stages").isArray()) {
            return (ArrayNode) info.get("stages").deepCopy();
        }
        ArrayNode a = JSON.createArrayNode();
        ObjectNode s = a.addObject();
        s.set("tasks", JSON.valueToTree(earlier.stream().map(TaskSpec::name).toList()));
        s.put("steps", info.path("total_steps").asInt());
        return a;
    }

    /** The record of one stage: the tasks it trained, its replay, and per task the number and a hash of its training examples. */
    public static ObjectNode stageRecord(List<TaskSpec> trained, Map<String, List<Example>> train, int replay) {
        ObjectNode s = JSON.createObjectNode();
        s.set("tasks", JSON.valueToTree(trained.stream().map(TaskSpec::name).toList()));
        s.put("replay", replay);
        ObjectNode examples = s.putObject("examples");
        ObjectNode data = s.putObject("data");
        train.forEach((task, list) -> {
            examples.put(task, list.size());
            StringBuilder sb = new StringBuilder();
            for (Example e : list) {
                sb.append(e.text()).append('\u0001').append(e.pair()).append('\u0001').append(e.choices()).append('\u0001')
                        .append(e.label()).append('\u0001').append(e.target()).append('\u0000');
            }
            data.put(task, Run.sha(sb.toString()));
        });
        return s;
    }
}
