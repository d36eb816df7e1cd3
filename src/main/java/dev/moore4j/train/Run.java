package dev.moore4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.task.Split;
import dev.moore4j.task.BadRows;
import dev.moore4j.MooreException;
import dev.moore4j.adapter.Param;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.eval.EvalBatches;
import dev.moore4j.eval.Evaluator;
import dev.moore4j.eval.Metrics;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.DirLock;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.MklKernels;
import dev.moore4j.util.Provenance;
import dev.moore4j.util.Roofline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One training run end to end: tasks and data, base model, task model, the oblivion figure before,
 * training, the oblivion figure after, throughput against the matmul roofline measured in the same
 * run. Writes {@code summary.json} next to the checkpoints and returns it, and {@code predictions.json} beside it: each
 * evaluation example's gold and predicted label at the last evaluation, per task (for paired comparisons).
 */
public final class Run {
    public static final String PREDICTIONS = "predictions.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Run() {}

    public static ObjectNode train(TrainConfig cfg, Path out, Trainer.Options opt, NDManager m) {
        cfg.validate();
        checkWritable(out);
        try (DirLock lock = DirLock.acquire(out, "moore train")) { // before the check below: a run in progress is named as such
            if (!opt.resume() && (Files.exists(out.resolve("last")) || Files.exists(out.resolve("best")))) {
                throw new MooreException(out + " already holds a run; continue it with --resume, or choose another --out");
            }
            return trainLocked(cfg, out, opt, m);
        }
    }

    private static ObjectNode trainLocked(TrainConfig given, Path out, Trainer.Options opt, NDManager m) {
        boolean peakReset = MemoryStats.resetPeak(); // peak memory of this run, not of earlier runs in the same process
        Continuation continued = given.from() != null ? Continuation.read(given) : null;
        TrainConfig cfg = continued != null ? continued.config(given) : given;
        List<TaskSpec> tasks = TaskRegistry.resolveAll(cfg.tasks()); // the whole task table: every task is evaluated
        List<TaskSpec> trained = continued != null ? continued.stage() : tasks;
        Map<String, List<Example>> train = Pipeline.load(trained, Split.TRAIN, cfg);
        if (continued != null) {
            train.putAll(continued.replay(cfg));
        }
        Map<String, List<Example>> eval = Pipeline.load(tasks, Split.EVAL, cfg);
        ArrayNode stages = continued != null ? continued.earlierStages() : JSON.createArrayNode();
        stages.add(Continuation.stageRecord(trained, train, cfg.replay()));
        try (ModelLoader.Loaded loaded = ModelLoader.load(cfg.model(), m, cfg.frozenWeights())) {
            TaskModel model = Pipeline.build(cfg, tasks, loaded);
            if (continued != null) {
                continued.checkBase(loaded.model(), loaded.reference());
                continued.restore(model, out);
            }
            Map<String, RunSummary.Sizes> sizes = new LinkedHashMap<>();
            eval.forEach((k, v) -> sizes.put(k, new RunSummary.Sizes(train.getOrDefault(k, List.of()).size(), v.size())));
            long trainable = model.parameters().stream().mapToLong(Param::size).sum();
            OblivionData data = cfg.oblivion() ? OblivionData.read(model, cfg) : null; // read now: a missing file fails before the first step
            if (cfg.oblivion() && data == null) {
                System.err.println("note: no oblivion figure for this decoder run (give --held-out-text FILE for held-out perplexity)");
            }
            Oblivion before = data != null ? baseOblivion(model, data, m) : null;
            Trainer trainer = new Trainer(model, cfg, train, eval, loaded.reference(), out, stages);
            Trainer.Summary s = trainer.run(opt, m);
            ObjectNode load = expertLoad(model.adapter().takeExpertLoad());
            RunSummary.Trim trim = new RunSummary.Trim(cfg.trimMb(), trainer.trimmer().trims(), megabytes(trainer.trimmer().workingLevel()),
                    megabytes(trainer.trimmer().peak()));
            RunSummary.Finished finished = null;
            if (s.finished()) {
                // heads only: the encoder is frozen, so its embeddings (and the figure) are unchanged by construction
                Oblivion after = before == null ? null : model.adapter().modules().isEmpty() ? before : oblivion(model, data, m);
                finished = new RunSummary.Finished(before, after, roofline(model, s, m), MemoryStats.rssBytes() / 1e6,
                        Math.max(trainer.peakBeforeStepsBytes(), MemoryStats.peakRssBytes()) / 1e6,
                        peakReset ? "this run" : "process", s.last() != null ? s.last().msPerExample() : -1, Provenance.commit(),
                        model.adapter().trainableCount(), model.adapter().configJson(), warnings(s, !trainer.skippedSteps().isEmpty()),
                        MemoryStats.nativeRssBytes() / 1e6);
            }
            ObjectNode summary = new RunSummary(cfg.method(), loaded.reference(), cfg, sizes, trainable, load, s, trainer.skippedSteps(),
                    trainer.rssSamples(), trim, finished).toJson();
            summary.set("curves", trainer.curves());
            summary.set("stages", stages);
            if (finished != null && trainer.peakOfStepsBytes() > 0) { // what the steps alone reached: evaluation and the probe should not exceed it by much
                summary.put("peak_rss_mb_steps", trainer.peakOfStepsBytes() / 1e6);
            }
            if (trainer.memoryPlan() != null) {
                summary.set("memory_plan", JSON.valueToTree(trainer.memoryPlan().json()));
            }
            if (finished == null) {
                return summary;
            }
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new MooreException(out + ": cannot create: " + e.getMessage());
            }
            if (trainer.lastPredictions() != null) { // before the summary: a run with a summary has its predictions
                AtomicFiles.writeString(out.resolve(PREDICTIONS), JSON.valueToTree(trainer.lastPredictions()).toString() + "\n");
            }
            AtomicFiles.writeString(out.resolve("summary.json"), summary.toPrettyString() + "\n");
            return summary;
        }
    }

    /**
     * What a reader must not miss: tasks whose predictions collapsed to one class, a loss that rose over the run
     * (diverged), a non-finite loss.
     */
    static List<String> warnings(Trainer.Summary s, boolean stepsSkipped) {
        List<String> w = new ArrayList<>();
        if (s.last() != null) {
            w.addAll(s.last().warnings());
        }
        if (Double.isFinite(s.firstLoss()) && Double.isFinite(s.lastLoss()) && s.lastLoss() > s.firstLoss() * 1.05) {
            w.add(String.format("training loss rose from %.4f (first 10 steps) to %.4f (last 10): the run diverged or the rate is too high",
                    s.firstLoss(), s.lastLoss()));
        }
        // NaN: no step of this process had a finite loss. That is divergence when steps were skipped as non-finite;
        // a run resumed at its last step simply took none. An infinite loss is divergence.
        if (Double.isInfinite(s.lastLoss()) || (Double.isNaN(s.lastLoss()) && stepsSkipped)) {
            w.add("training loss is not finite at the end of the run");
        }
        return w;
    }

    /**
     * Router statistics over the run's evaluations: per module the share of tokens each expert received, and
     * two summaries: the mean largest share (1/E when balanced, 1 when one expert takes everything) and the
     * mean normalised entropy (1 when balanced).
     */
    static ObjectNode expertLoad(Map<String, double[]> load) {
        ObjectNode out = JSON.createObjectNode();
        out.put("modules", load.size());
        if (load.isEmpty()) {
            return out;
        }
        double maxShare = 0;
        double entropy = 0;
        ObjectNode per = JSON.createObjectNode();
        for (Map.Entry<String, double[]> e : load.entrySet()) {
            double[] p = e.getValue();
            double mx = 0;
            var arr = per.putArray(e.getKey());
            for (double x : p) {
                mx = Math.max(mx, x);
                arr.add(Math.round(x * 1e4) / 1e4);
            }
            maxShare += mx;
            entropy += Metrics.normalisedEntropy(p);
        }
        out.put("mean_max_share", maxShare / load.size());
        out.put("mean_normalized_entropy", entropy / load.size());
        out.set("per_module", per);
        return out;
    }

    /** The oblivion figure: zero-shot STS-B Spearman (encoders) or held-out perplexity (decoders, when a text is given). */
    public record Oblivion(String name, double value) {}

    /**
     * What the oblivion figure is computed from, read in full: the STS-B dev pairs (encoders) or the held-out
     * lines (decoders; null when none was given), with a key naming exactly that content.
     */
    public record OblivionData(List<Example> pairs, List<String> lines, EvalBatches batches, String key) {
        public static OblivionData read(TaskModel model, TrainConfig cfg) {
            return read(model.oblivionProbe(), cfg);
        }

        /** For an encoder: the STS-B pairs; for a decoder: the held-out lines of {@code cfg.heldOutText()} (null when none). */
        static OblivionData read(TaskModel.OblivionProbe probe, TrainConfig cfg) {
            if (probe == TaskModel.OblivionProbe.STSB_ZERO_SHOT) {
                List<Example> pairs = TaskRegistry.load(TaskRegistry.resolve("stsb"), Split.EVAL, Pipeline.dataRoot(cfg.data()), cfg.oblivionExamples(), cfg.seed(), BadRows.STOP).examples();
                if (pairs.isEmpty()) {
                    throw new MooreException("oblivion: no STS-B dev pairs under " + Pipeline.dataRoot(cfg.data()) + " (or skip the figure with --no-oblivion)");
                }
                StringBuilder sb = new StringBuilder("stsb");
                pairs.forEach(e -> sb.append('\u0000').append(e.text()).append('\u0001').append(e.pair()).append('\u0002').append(e.target()));
                return new OblivionData(pairs, null, EvalBatches.of(cfg), "stsb-" + pairs.size() + "-" + sha(sb.toString()));
            }
            if (cfg.heldOutText() == null) {
                return null;
            }
            try {
                List<String> lines = Files.readAllLines(Path.of(cfg.heldOutText())).stream().filter(l -> !l.isBlank()).toList();
                if (lines.isEmpty()) {
                    throw new MooreException(cfg.heldOutText() + ": held-out text has no non-blank line");
                }
                return new OblivionData(null, lines, EvalBatches.of(cfg), "ppl-" + lines.size() + "-" + sha(String.join("\n", lines)));
            } catch (IOException e) {
                throw new MooreException(cfg.heldOutText() + ": cannot read held-out text: " + e.getMessage());
            }
        }
    }

    static String sha(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Output directory created and writable now, not at the first checkpoint. */
    static void checkWritable(Path out) {
        try {
            Files.createDirectories(out);
            Path probe = Files.createTempFile(out, ".write-probe", "");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new MooreException(out + ": output directory is not writable: " + e.getMessage());
        }
    }

    /**
     * The figure of the untrained model (MoORE at initialisation is exactly the base model). It depends only on
     * the base weights and the oblivion data, so it is cached under the cache directory by both: the base hash
     * and a hash of the pairs (or lines) themselves, so that other data, another subsample or another seed
     * never reuse it.
     */
    static Oblivion baseOblivion(TaskModel model, OblivionData data, NDManager m) {
        String hash = model.base().weightsHash();
        Path file = SharedPaths.cache().resolve("oblivion").resolve(hash + "-" + data.key() + ".json");
        try {
            if (Files.isRegularFile(file)) {
                var n = JSON.readTree(file.toFile());
                if (n != null && n.hasNonNull("name") && n.path("value").isNumber()) {
                    return new Oblivion(n.get("name").asText(), n.get("value").asDouble());
                }
                System.err.println("warning: ignoring malformed " + file);
            }
        } catch (IOException e) {
            System.err.println("warning: ignoring unreadable " + file);
        }
        Oblivion o = oblivion(model, data, m);
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.writeString(file, JSON.writeValueAsString(o) + "\n");
        } catch (IOException e) {
            System.err.println("warning: cannot cache " + file + ": " + e.getMessage());
        }
        return o;
    }

    /** The oblivion figure of a model now (reads the data; null for a decoder without held-out text). */
    public static Oblivion oblivion(TaskModel model, TrainConfig cfg, NDManager m) {
        OblivionData data = OblivionData.read(model, cfg);
        return data == null ? null : oblivion(model, data, m);
    }

    static Oblivion oblivion(TaskModel model, OblivionData data, NDManager m) {
        return switch (model.oblivionProbe()) {
            case STSB_ZERO_SHOT -> new Oblivion("stsb", Evaluator.stsbZeroShot(model, data.pairs(), data.batches(), m));
            case HELD_OUT_PERPLEXITY -> {
                try (NDScope scope = new NDScope(); NDManager sm = m.newSubManager()) {
                    yield new Oblivion("perplexity", model.perplexity(data.lines(), sm));
                }
            }
        };
    }

    /** Training FLOP/s against the matmul roofline; FLOPs per token come from the adapter (see {@code Adapter#trainFlopsPerToken}). */
    static ObjectNode roofline(TaskModel model, Trainer.Summary s, NDManager m) {
        double perToken = model.adapter().trainFlopsPerToken();
        double achieved = perToken * s.tokensPerSecond() / 1e9;
        double roof = Roofline.forWidth(m, model.base().widestInput());
        ObjectNode r = JSON.createObjectNode();
        r.put("matmul_gflops", roof);
        r.put("train_gflops", achieved);
        r.put("fraction_of_roofline", achieved / roof);
        r.put("flop_per_token", perToken);
        MklKernels.codePath().ifPresent(c -> r.put("mkl_code_path", c));
        r.put("cores", Runtime.getRuntime().availableProcessors());
        r.put("threads", cfgThreads());
        cpuModel().ifPresent(c -> r.put("cpu", c));
        return r;
    }

    /** The compute threads the engine was configured with (all cores when left to libtorch). */
    private static int cfgThreads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        return t != null ? Integer.parseInt(t) : Runtime.getRuntime().availableProcessors();
    }

    /** The CPU's name as the kernel reports it (Linux), for the provenance of a run's timings. */
    static java.util.Optional<String> cpuModel() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return java.util.Optional.empty();
        }
    }

    /** Bytes as MB, keeping -1 ("not measured") as -1. */
    private static double megabytes(long bytes) {
        return bytes < 0 ? -1 : bytes / 1e6;
    }
}
