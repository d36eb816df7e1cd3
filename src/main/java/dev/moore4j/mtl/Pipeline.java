package dev.moore4j.mtl;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Methods;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.task.DataReaders;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.BadRows;
import dev.moore4j.task.Split;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.util.NativeTrimmer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * From a training config to what a run trains on: the task model (base, adapter injected, heads) and each
 * task's examples. Checkpoints of task models are {@code checkpoint.Checkpoint}'s business.
 */
public final class Pipeline {
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
        NativeTrimmer.settle();
        if (loaded.model() instanceof BertModel bert) {
            return new EncoderTaskModel(bert, loaded.tokenizer(), adapter, tasks, cfg.maxLength(), cfg.seed());
        }
        if (loaded.model() instanceof LlamaModel llama) {
            return new DecoderTaskModel(llama, loaded.tokenizer(), adapter, tasks, cfg.wholeSequenceLoss(), cfg.maxLength());
        }
        throw new MooreException(loaded.reference() + ": model family '" + loaded.model().family() + "' has no task pipeline");
    }

    /** One split of every task, capped per task; skipped bad rows are reported on stderr. */
    public static Map<String, List<Example>> load(List<TaskSpec> tasks, Split split, TrainConfig cfg) {
        boolean train = split == Split.TRAIN;
        Path root = dataRoot(cfg.data());
        Map<String, List<Example>> out = new LinkedHashMap<>();
        for (TaskSpec t : tasks) {
            DataReaders.Result r = TaskRegistry.load(t, split, root, train ? cfg.maxTrainExamples() : cfg.maxEvalExamples(), cfg.seed(),
                    BadRows.skipping(cfg.skipBadRows()), cfg.validationExamples());
            if (r.skipped() > 0) {
                System.err.println("warning: task '" + t.name() + "': skipped " + r.skipped() + " bad rows");
            }
            if (train && t.kind() == TaskKind.MULTIPLE_CHOICE) {
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

}
