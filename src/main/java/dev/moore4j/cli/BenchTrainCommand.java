package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.adapter.Param;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.Trainer;
import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.MklKernels;
import dev.moore4j.util.Roofline;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code moore bench train}: the trainer's own steps on synthetic data of known shapes, timed after a warm-up,
 * with where the resident memory goes. The texts are one word repeated so that every example is exactly
 * {@code --length} tokens (a decoder's prompt and answer included, cut to the length as training does); the
 * labels alternate.
 */
@Command(name = "train", description = {
        "Time training steps of a method on synthetic tasks of exact shapes, and account for the resident memory.",
        "Reports (--json field names): model, method, adapter (its configuration), batch, length, tasks, steps, warmup,",
        "threads, recompute, weights_dtype (as given); trainable_parameters; examples_per_second and step_ms_median over the steps after --warmup;",
        "matmul_gflops (a libtorch matmul of the model's width, timed here: the roofline), mkl_code_path (the kernel family",
        "oneMKL chose: 0 generic, 7 AVX-512; null without MKL), train_gflops (the linear layers'",
        "training FLOPs per second reached) and fraction_of_roofline (their ratio); peak_rss_mb (the whole process's peak",
        "resident memory, VmHWM, loading included); and memory_mb: jvm_heap (committed heap), base_weights (tensors of the",
        "loaded model), frozen (non-trainable tensors after adapting: base weights kept and frozen factors), trainable,",
        "gradients and optimizer (two AdamW moments) from the parameter count, activations (peak minus the resident memory",
        "before the first step minus gradients and optimizer: what a step holds at once, allocator caches included), and",
        "other (resident memory before the first step not in the heap or in tensors: runtime code, JVM non-heap,",
        "allocator slack); memory_plan (the estimate made before the first step, its budget, and whether it chose to recompute",
        "layers: the same as train's summary.json)."})
final class BenchTrainCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    WeightsFlag weights;

    @Option(names = "--model", description = "Model. Default: ${DEFAULT-VALUE}.")
    String model = "minilm";

    @Option(names = "--method", description = "Method (${COMPLETION-CANDIDATES}). Default: ${DEFAULT-VALUE}.",
            completionCandidates = AdaptCommand.MethodNames.class)
    String method = "moore";

    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable), as in train.")
    List<String> set = new ArrayList<>();

    @Option(names = "--batch", description = "Examples per step. Default: ${DEFAULT-VALUE}.")
    int batch = 16;

    @Option(names = "--length", description = "Tokens per example, exactly. Default: ${DEFAULT-VALUE}.")
    int length = 64;

    @Option(names = "--tasks", description = "Synthetic two-label tasks, mixed in every batch. Default: ${DEFAULT-VALUE}.")
    int tasks = 4;

    @Option(names = "--steps", description = "Timed steps after the warm-up. Default: ${DEFAULT-VALUE}.")
    int steps = 40;

    @Option(names = "--warmup", description = "Steps before timing starts. Default: ${DEFAULT-VALUE}.")
    int warmup = 5;

    @Option(names = "--lr", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    double lr = 1e-4;

    @Option(names = "--recompute", description = "Recompute each layer's activations in the backward pass (train --recompute); without it the memory plan decides (see --memory-budget).")
    boolean recompute;

    @Option(names = "--memory-budget", defaultValue = "auto", description = "Memory the run may use (train --memory-budget): auto, off, or a size such as 12g. Default: ${DEFAULT-VALUE}.")
    String memoryBudget;

    @Override
    public void run() {
        Common.range("--batch", batch, 1, 1 << 20);
        Common.range("--length", length, 8, 1 << 20);
        Common.range("--tasks", tasks, 1, 1000);
        Common.range("--steps", steps, 1, 1_000_000);
        Common.range("--warmup", warmup, 0, 1_000_000);
        Map<String, Object> overrides = Methods.parseAssignments(method, set);
        Path scratch;
        try {
            scratch = Files.createTempDirectory("moore-bench-train");
        } catch (IOException e) {
            throw new MooreException("bench train: cannot create a scratch directory: " + e.getMessage());
        }
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m, weights.orFp32())) {
            long baseBytes = MemoryStats.tensorBytes(loaded.model().manager()) - loaded.model().aliasedBytes();
            List<TaskSpec> specs = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                specs.add(new TaskSpec("t" + t, TaskKind.CLASSIFICATION, List.of("yes", "no"), "accuracy", null, null, null, "Is it yes or no?"));
            }
            List<String> names = specs.stream().map(TaskSpec::name).toList();
            TrainConfig cfg = TrainConfig.builder().model(model).method(method).adapter(overrides).tasks(names).batchSize(batch).maxLength(length)
                    .maxSteps(warmup + steps).lr(lr).oblivion(false).trimMb(0).recompute(recompute).memoryBudget(memoryBudget).weightsDtype(weights.orFp32()).build().validate();
            TaskModel tm = Pipeline.build(cfg, specs, loaded);
            long trainable = tm.parameters().stream().mapToLong(Param::size).sum();
            long frozenBytes = MemoryStats.tensorBytes(loaded.model().manager()) - loaded.model().aliasedBytes() - 4 * trainable;
            Map<String, List<Example>> data = syntheticData(tm, specs);
            System.gc();
            long rssBefore = MemoryStats.rssBytes();
            Trainer trainer = new Trainer(tm, cfg, data, Map.of(), loaded.reference(), scratch);
            trainer.run(Trainer.Options.stepsOnly(), m);
            long peak = Math.max(trainer.peakBeforeStepsBytes(), MemoryStats.peakRssBytes()); // the trainer resets the peak before its steps
            List<Double> timed = trainer.stepSeconds().subList(Math.min(warmup, trainer.stepSeconds().size()), trainer.stepSeconds().size());
            double seconds = timed.stream().mapToDouble(Double::doubleValue).sum();
            double exPerSecond = timed.size() * batch / seconds;
            double roof = Roofline.forWidth(m, loaded.model().widestInput());
            double achieved = tm.adapter().trainFlopsPerToken() * exPerSecond * length / 1e9;
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();

            Map<String, Object> out = setting(loaded.reference(), tm);
            out.put("trainable_parameters", trainable);
            out.put("examples_per_second", exPerSecond);
            out.put("step_ms_median", median(timed) * 1e3);
            out.put("matmul_gflops", roof);
            out.put("mkl_code_path", MklKernels.codePath().orElse(null));
            out.put("train_gflops", achieved);
            out.put("fraction_of_roofline", achieved / roof);
            out.put("peak_rss_mb", peak / 1e6);
            Map<String, Object> mem = memory(heap, baseBytes, frozenBytes, trainable, peak, rssBefore);
            out.put("memory_mb", mem);
            out.put("memory_plan", trainer.memoryPlan().json());
            print(out, mem);
        } finally {
            AtomicFiles.deleteTree(scratch);
        }
    }

    /** What was measured: the model, the method and the shape of the run. */
    private Map<String, Object> setting(String reference, TaskModel tm) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", reference);
        out.put("method", method);
        out.put("adapter", tm.adapter().configJson());
        out.put("batch", batch);
        out.put("length", length);
        out.put("tasks", tasks);
        out.put("steps", steps);
        out.put("warmup", warmup);
        out.put("threads", common.threads());
        out.put("recompute", recompute);
        out.put("weights_dtype", weights.orFp32().label());
        return out;
    }

    /** Enough examples of exactly {@code length} tokens for every step, alternating labels. */
    private Map<String, List<Example>> syntheticData(TaskModel tm, List<TaskSpec> specs) {
        String word = "the"; // one token per repetition in the tokenizers we ship, so lengths are hit exactly
        Map<String, List<Example>> data = new LinkedHashMap<>();
        int perTask = (batch * (warmup + steps) + tasks - 1) / tasks;
        for (TaskSpec s : specs) {
            List<Example> ex = new ArrayList<>();
            for (int i = 0; i < perTask; i++) {
                ex.add(exact(tm, s, word, i % 2));
            }
            data.put(s.name(), ex);
        }
        return data;
    }

    /** The peak in parts, MB: what is known exactly (tensors, fp32 parameters, gradients, AdamW moments) and what is left. */
    private static Map<String, Object> memory(long heap, long baseBytes, long frozenBytes, long trainable, long peak, long rssBefore) {
        Map<String, Object> mem = new LinkedHashMap<>();
        mem.put("jvm_heap", heap / 1e6);
        mem.put("base_weights", baseBytes / 1e6);
        mem.put("frozen", frozenBytes / 1e6);
        mem.put("trainable", 4 * trainable / 1e6);
        mem.put("gradients", 4 * trainable / 1e6);
        mem.put("optimizer", 8 * trainable / 1e6);
        mem.put("activations", (peak - rssBefore - 12 * trainable) / 1e6);
        mem.put("other", (rssBefore - heap - frozenBytes - 4 * trainable) / 1e6);
        return mem;
    }

    private void print(Map<String, Object> out, Map<String, Object> mem) {
        if (common.json) {
            common.printJson(out);
            return;
        }
        System.out.printf("%s on %s (%,d trainable): batch %d × %d tokens, %d tasks, %d steps after %d warm-up, %d threads%n", method,
                out.get("model"), (Long) out.get("trainable_parameters"), batch, length, tasks, steps, warmup, common.threads());
        System.out.printf("  %.1f examples/s, %.1f ms/step (median), %.2f of the matmul roofline (%.0f GFLOP/s)%n", (Double) out.get("examples_per_second"),
                (Double) out.get("step_ms_median"), (Double) out.get("fraction_of_roofline"), (Double) out.get("matmul_gflops"));
        System.out.printf("  peak RSS %.0f MB:", (Double) out.get("peak_rss_mb"));
        mem.forEach((k, v) -> System.out.printf(" %s %.0f", k, (Double) v));
        System.out.println();
    }

    /** An example of exactly {@code length} tokens, its text the word repeated; an error if the tokenizer does not allow it. */
    private Example exact(TaskModel tm, TaskSpec spec, String word, int label) {
        int n = length;
        for (int tries = 0; tries < 16 && n >= 1; tries++) {
            Example e = new Example(spec.name(), (word + " ").repeat(n).strip(), null, List.of(), label, Float.NaN, "synthetic");
            int got = tm.tokens(e);
            if (got == length) {
                return e;
            }
            n += length - got;
        }
        throw new MooreException("--length " + length + ": cannot build a text of exactly that many tokens for " + model + " (too short for its prompt?)");
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Double::compare);
        return s.isEmpty() ? Double.NaN : s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
