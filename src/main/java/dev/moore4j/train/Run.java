package dev.moore4j.train;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.eval.Evaluator;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.mtl.DecoderTaskModel;
import dev.moore4j.mtl.EncoderTaskModel;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.Roofline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One training run end to end: tasks and data, base model, task model, the oblivion figure before,
 * training, the oblivion figure after, throughput against the matmul roofline measured in the same
 * run. Writes {@code summary.json} next to the checkpoints and returns it.
 */
public final class Run {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Run() {}

    public static ObjectNode train(TrainConfig cfg, Path out, Trainer.Options opt, NDManager m) {
        cfg.validate();
        if (!opt.resume() && (Files.exists(out.resolve("last")) || Files.exists(out.resolve("best")))) {
            throw new MooreException(out + " already holds a run; continue it with --resume, or choose another --out");
        }
        List<TaskSpec> tasks = TaskRegistry.resolveAll(cfg.tasks());
        Map<String, List<Example>> train = Pipeline.load(tasks, true, cfg);
        Map<String, List<Example>> eval = Pipeline.load(tasks, false, cfg);
        try (ModelLoader.Loaded loaded = ModelLoader.load(cfg.model(), m)) {
            TaskModel model = Pipeline.build(cfg, tasks, loaded);
            ObjectNode summary = JSON.createObjectNode();
            summary.put("method", cfg.method());
            summary.put("model", loaded.reference());
            summary.set("config", cfg.toJson());
            ObjectNode sizes = summary.putObject("examples");
            train.forEach((k, v) -> sizes.putObject(k).put("train", v.size()).put("eval", eval.get(k).size()));
            summary.put("trainable_parameters", model.parameters().stream().mapToLong(dev.moore4j.adapter.Param::size).sum());
            Oblivion before = cfg.oblivion() ? baseOblivion(model, cfg, m) : null;
            Trainer trainer = new Trainer(model, cfg, train, eval, loaded.reference(), out);
            Trainer.Summary s = trainer.run(opt, m);
            summary.put("steps", s.steps());
            summary.put("total_steps", s.totalSteps());
            summary.put("finished", s.finished());
            summary.put("train_seconds", s.trainSeconds());
            summary.put("train_examples_per_second", s.examplesPerSecond());
            summary.put("train_tokens_per_second", s.tokensPerSecond());
            summary.put("loss_first_steps", s.firstLoss()); // this session's steps (a resumed run starts counting again)
            summary.put("loss_last_steps", s.lastLoss());
            summary.set("skipped_steps", JSON.valueToTree(trainer.skippedSteps()));
            summary.set("native_rss_mb_every_50_steps", JSON.valueToTree(trainer.rssSamples()));
            ObjectNode trim = summary.putObject("native_trim");
            trim.put("slack_mb", cfg.trimMb());
            trim.put("trims", trainer.trimmer().trims());
            trim.put("working_level_mb", megabytes(trainer.trimmer().workingLevel()));
            trim.put("peak_after_warmup_mb", megabytes(trainer.trimmer().peak()));
            if (s.last() != null) {
                summary.set("eval", JSON.valueToTree(s.last()));
            }
            if (s.best() != null) {
                summary.set("best", JSON.valueToTree(s.best()));
                summary.put("best_step", s.bestStep());
            }
            if (!s.finished()) {
                return summary;
            }
            if (before != null) {
                // heads only: the encoder is frozen, so its embeddings (and the figure) are unchanged by construction
                Oblivion after = cfg.method().equals("heads") ? before : oblivion(model, cfg, m, "after");
                ObjectNode ob = summary.putObject("oblivion");
                ob.put(before.name() + "_before", before.value());
                ob.put(before.name() + "_after", after.value());
            }
            summary.set("roofline", roofline(model, cfg, s, m));
            summary.put("rss_mb_at_end", MemoryStats.rssBytes() / 1e6);
            summary.put("native_rss_mb_at_end", MemoryStats.nativeRssBytes() / 1e6);
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new MooreException(out + ": cannot create: " + e.getMessage());
            }
            AtomicFiles.writeString(out.resolve("summary.json"), summary.toPrettyString() + "\n");
            return summary;
        }
    }

    /** The oblivion figure: zero-shot STS-B Spearman (encoders) or held-out perplexity (decoders, when a text is given). */
    public record Oblivion(String name, double value) {}

    /**
     * The figure of the untrained model (MoORE at initialisation is exactly the base model). It depends only on
     * the base weights and the data, so it is cached under the cache directory by base hash.
     */
    static Oblivion baseOblivion(TaskModel model, TrainConfig cfg, NDManager m) {
        String hash = Pipeline.baseOf(model).weightsHash();
        String key = model instanceof EncoderTaskModel ? "stsb" + (cfg.oblivionExamples() > 0 ? "-" + cfg.oblivionExamples() + "-" + cfg.seed() : "") : "ppl-" + Integer.toHexString(String.valueOf(cfg.heldOutText()).hashCode());
        Path file = dev.moore4j.io.SharedPaths.cache().resolve("oblivion").resolve(hash + "-" + key + ".json");
        try {
            if (Files.isRegularFile(file)) {
                var n = JSON.readTree(file.toFile());
                return new Oblivion(n.get("name").asText(), n.get("value").asDouble());
            }
        } catch (IOException e) {
            System.err.println("warning: ignoring unreadable " + file);
        }
        Oblivion o = oblivion(model, cfg, m, "before");
        if (o != null) {
            try {
                Files.createDirectories(file.getParent());
                AtomicFiles.writeString(file, JSON.writeValueAsString(o) + "\n");
            } catch (IOException e) {
                System.err.println("warning: cannot cache " + file + ": " + e.getMessage());
            }
        }
        return o;
    }

    public static Oblivion oblivion(TaskModel model, TrainConfig cfg, NDManager m, String when) {
        if (model instanceof EncoderTaskModel enc) {
            List<Example> pairs = TaskRegistry.load(TaskRegistry.resolve("stsb"), false, Pipeline.dataRoot(cfg.data()), cfg.oblivionExamples(), cfg.seed(), false)
                    .examples();
            return new Oblivion("stsb", Evaluator.stsbZeroShot(enc, pairs, cfg.evalBatchSize(), m));
        }
        if (cfg.heldOutText() == null) {
            return null;
        }
        try {
            List<String> lines = Files.readAllLines(Path.of(cfg.heldOutText())).stream().filter(l -> !l.isBlank()).toList();
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope(); NDManager sm = m.newSubManager()) {
                return new Oblivion("perplexity", ((DecoderTaskModel) model).perplexity(lines, sm));
            }
        } catch (IOException e) {
            throw new MooreException(cfg.heldOutText() + ": cannot read held-out text: " + e.getMessage());
        }
    }

    /**
     * Training FLOP/s against the matmul roofline. FLOPs per token over the linear layers (attention and
     * norms left out): heads only, 2·d_in·d_out per layer (forward); with MoORE, a frozen map costs twice its
     * forward (output and input gradient) and a trainable one three times (plus its weight gradient), so a
     * MoE-ized layer costs 4·(d_in·k + k·d_out) + 6·(d_in·D_s + D_s·k) + 12·d_in·L and any other layer 4·d_in·d_out.
     */
    static ObjectNode roofline(TaskModel model, TrainConfig cfg, Trainer.Summary s, NDManager m) {
        var base = Pipeline.baseOf(model);
        java.util.Map<String, dev.moore4j.adapter.moore.MooreLinear> moe = new java.util.HashMap<>();
        if (model.adapter() != null) {
            model.adapter().layers().forEach(l -> moe.put(l.name(), l));
        }
        double perToken = 0;
        int width = 0;
        for (LinearSlot slot : base.linearSlots()) {
            double in = slot.get().inFeatures();
            double out = slot.get().outFeatures();
            width = Math.max(width, (int) in);
            var l = moe.get(slot.name());
            if (model.adapter() == null) {
                perToken += 2 * in * out;
            } else if (l == null) {
                perToken += 4 * in * out;
            } else {
                double k = l.experts();
                double ds = cfg.sampleRouterDim();
                perToken += 4 * (in * k + k * out) + 6 * (in * ds + ds * k) + 12 * in * cfg.householder();
            }
        }
        double achieved = perToken * s.tokensPerSecond() / 1e9;
        double roof = Roofline.matmulGflops(m, 2048, width, 4 * width);
        ObjectNode r = JSON.createObjectNode();
        r.put("matmul_gflops", roof);
        r.put("train_gflops", achieved);
        r.put("fraction_of_roofline", achieved / roof);
        r.put("flop_per_token", perToken);
        return r;
    }

    /** Bytes as MB, keeping -1 ("not measured") as -1. */
    private static double megabytes(long bytes) {
        return bytes < 0 ? -1 : bytes / 1e6;
    }
}
