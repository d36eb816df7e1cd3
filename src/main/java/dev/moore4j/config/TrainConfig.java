package dev.moore4j.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.Methods;
import dev.moore4j.io.ObjectFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a training run needs, as one record that round-trips to JSON/YAML (missing fields take
 * the defaults of {@link #defaults()}).
 *
 * Each field's meaning is its {@link Flag}; {@code moore train} takes every field as an option built from it.
 */
public record TrainConfig(
        @Flag("Base model: alias or path.") String model,
        @Flag("Adaptation method (moore, lora, …, heads; see moore adapt --help).") String method,
        @Flag("Task names, suite names (nlu-mtl, csr-mtl) or task spec files, comma-separated.") List<String> tasks,
        @Flag("Data root (default: $MOORE4J_DATA, else ../shared/data).") String data,
        @Flag(value = "Per-task cap on training examples (0 = all), a seeded subsample.", names = "--max-train") int maxTrainExamples,
        @Flag(value = "Per-task cap on evaluation examples (0 = all).", names = "--max-eval") int maxEvalExamples,
        @Flag("Tokens per sequence.") int maxLength,
        @Flag("Examples per optimiser step.") int batchSize,
        @Flag("Micro-batches per step (the batch is split among them).") int gradAccum,
        @Flag("Passes over the mixed training set.") double epochs,
        @Flag("If positive, stop after this many optimiser steps.") int maxSteps,
        @Flag("Adapter learning rate.") double lr,
        @Flag("Learning rate of the task heads.") double headLr,
        @Flag("AdamW decoupled weight decay.") double weightDecay,
        @Flag("Schedule after the warmup: constant, cosine or wsd.") String schedule,
        @Flag("Warmup fraction of the steps.") double warmup,
        @Flag("Decay fraction of the steps (wsd).") double decay,
        @Flag("Global gradient-norm clip (0 = off).") double clipNorm,
        @Flag("Seed of subsampling, shuffling, initialisation and dropout.") long seed,
        @Flag("Evaluate (and checkpoint) every N steps; 0 = only at the end.") int evalEvery,
        @Flag("Also save a resumable checkpoint every N steps, without evaluating (0 = only where it evaluates).") int checkpointEvery,
        @Flag("Examples per evaluation batch.") int evalBatchSize,
        @Flag(value = "The method's hyperparameters that differ from its defaults (snake_case keys: r, top_k, targets, …); use --set.", hidden = true)
        Map<String, Object> adapter,
        @Flag("Decoders: LM loss on the whole sequence instead of the answer tokens.") boolean wholeSequenceLoss,
        @Flag("Skip malformed data rows (and report how many) instead of stopping.") boolean skipBadRows,
        @Flag(value = "Skip the before/after oblivion figure.", names = "--no-oblivion", negated = true) boolean oblivion,
        @Flag("Decoders: held-out text file (one document per line) for the perplexity oblivion figure.") String heldOutText,
        @Flag(value = "Encoders: STS-B dev pairs for the oblivion figure (0 = all 1500), a seeded subsample.", names = "--max-oblivion") int oblivionExamples,
        @Flag(value = "Non-finite steps whose update may be dropped before the run stops (0 = stop at the first).", names = "--max-skipped-steps")
        int maxSkippedSteps,
        @Flag("Return freed native memory to the OS whenever RSS exceeds the first 10 steps' working level by this many MiB (0 = never).") int trimMb,
        @Flag(value = "Per task, hold this many training examples out as the evaluation set (0 = the task's dev/test split): choose hyperparameters without the evaluation split.",
                names = "--validation") int validationExamples,
        @Flag("Recompute each layer's activations in the backward pass instead of keeping them (gradient checkpointing): memory of one layer instead of all, for one more forward pass.")
        boolean recompute) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public TrainConfig {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
        adapter = adapter == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(adapter));
    }

    /** The defaults of every field: those of {@link Builder}. */
    public static TrainConfig defaults() {
        return builder().build();
    }

    /** A config by named fields: {@code TrainConfig.builder().method("lora").lr(1e-4).build()}; unset fields keep the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** This config's fields, to change some by name. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.model = model;
        b.method = method;
        b.tasks = tasks;
        b.data = data;
        b.maxTrainExamples = maxTrainExamples;
        b.maxEvalExamples = maxEvalExamples;
        b.maxLength = maxLength;
        b.batchSize = batchSize;
        b.gradAccum = gradAccum;
        b.epochs = epochs;
        b.maxSteps = maxSteps;
        b.lr = lr;
        b.headLr = headLr;
        b.weightDecay = weightDecay;
        b.schedule = schedule;
        b.warmup = warmup;
        b.decay = decay;
        b.clipNorm = clipNorm;
        b.seed = seed;
        b.evalEvery = evalEvery;
        b.checkpointEvery = checkpointEvery;
        b.evalBatchSize = evalBatchSize;
        b.adapter = adapter;
        b.wholeSequenceLoss = wholeSequenceLoss;
        b.skipBadRows = skipBadRows;
        b.oblivion = oblivion;
        b.heldOutText = heldOutText;
        b.oblivionExamples = oblivionExamples;
        b.maxSkippedSteps = maxSkippedSteps;
        b.trimMb = trimMb;
        b.validationExamples = validationExamples;
        b.recompute = recompute;
        return b;
    }

    /** The fields of a {@link TrainConfig}, each defaulting to what {@link #defaults()} has. */
    public static final class Builder {
        private String model = "minilm";
        private String method = "moore";
        private List<String> tasks = List.of();
        private String data = null;
        private int maxTrainExamples = 0;
        private int maxEvalExamples = 0;
        private int maxLength = 128;
        private int batchSize = 16;
        private int gradAccum = 1;
        private double epochs = 1;
        private int maxSteps = 0;
        private double lr = 3e-4;
        private double headLr = 2e-3;
        private double weightDecay = 0.01;
        private String schedule = "constant";
        private double warmup = 0.1;
        private double decay = 0.2;
        private double clipNorm = 1.0;
        private long seed = 42;
        private int evalEvery = 0;
        private int checkpointEvery = 0;
        private int evalBatchSize = 64;
        private Map<String, Object> adapter = Map.of();
        private boolean wholeSequenceLoss = false;
        private boolean skipBadRows = false;
        private boolean oblivion = true;
        private String heldOutText = null;
        private int oblivionExamples = 0;
        private int maxSkippedSteps = 0;
        private int trimMb = 1024;
        private int validationExamples = 0;
        private boolean recompute = false;

        private Builder() {}

        public Builder model(String v) {
            model = v;
            return this;
        }

        public Builder method(String v) {
            method = v;
            return this;
        }

        public Builder tasks(List<String> v) {
            tasks = v;
            return this;
        }

        public Builder data(String v) {
            data = v;
            return this;
        }

        public Builder maxTrainExamples(int v) {
            maxTrainExamples = v;
            return this;
        }

        public Builder maxEvalExamples(int v) {
            maxEvalExamples = v;
            return this;
        }

        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder gradAccum(int v) {
            gradAccum = v;
            return this;
        }

        public Builder epochs(double v) {
            epochs = v;
            return this;
        }

        public Builder maxSteps(int v) {
            maxSteps = v;
            return this;
        }

        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder headLr(double v) {
            headLr = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder schedule(String v) {
            schedule = v;
            return this;
        }

        public Builder warmup(double v) {
            warmup = v;
            return this;
        }

        public Builder decay(double v) {
            decay = v;
            return this;
        }

        public Builder clipNorm(double v) {
            clipNorm = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder evalEvery(int v) {
            evalEvery = v;
            return this;
        }

        public Builder checkpointEvery(int v) {
            checkpointEvery = v;
            return this;
        }

        public Builder evalBatchSize(int v) {
            evalBatchSize = v;
            return this;
        }

        public Builder adapter(Map<String, Object> v) {
            adapter = v;
            return this;
        }

        public Builder wholeSequenceLoss(boolean v) {
            wholeSequenceLoss = v;
            return this;
        }

        public Builder skipBadRows(boolean v) {
            skipBadRows = v;
            return this;
        }

        public Builder oblivion(boolean v) {
            oblivion = v;
            return this;
        }

        public Builder heldOutText(String v) {
            heldOutText = v;
            return this;
        }

        public Builder oblivionExamples(int v) {
            oblivionExamples = v;
            return this;
        }

        public Builder maxSkippedSteps(int v) {
            maxSkippedSteps = v;
            return this;
        }

        public Builder trimMb(int v) {
            trimMb = v;
            return this;
        }

        public Builder recompute(boolean v) {
            recompute = v;
            return this;
        }

        public Builder validationExamples(int v) {
            validationExamples = v;
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(model, method, tasks, data, maxTrainExamples, maxEvalExamples, maxLength, batchSize, gradAccum, epochs, maxSteps, lr, headLr, weightDecay, schedule, warmup, decay, clipNorm, seed, evalEvery, checkpointEvery, evalBatchSize, adapter, wholeSequenceLoss, skipBadRows, oblivion, heldOutText, oblivionExamples, maxSkippedSteps, trimMb, validationExamples, recompute);
        }
    }


    /** Checks the fields, naming the first bad one. */
    public TrainConfig validate() {
        Methods.get(method);
        if (tasks.isEmpty()) {
            throw new MooreException("config: field 'tasks' is empty; name at least one task (e.g. nlu-mtl, or cola sst2)");
        }
        atLeast("maxTrainExamples", maxTrainExamples, 0);
        atLeast("maxEvalExamples", maxEvalExamples, 0);
        atLeast("maxLength", maxLength, 8);
        atLeast("batchSize", batchSize, 1);
        atLeast("gradAccum", gradAccum, 1);
        atLeast("epochs", epochs, 0);
        atLeast("maxSteps", maxSteps, 0);
        atLeast("headLr", headLr, 0);
        atLeast("weightDecay", weightDecay, 0);
        atLeast("clipNorm", clipNorm, 0);
        atLeast("evalEvery", evalEvery, 0);
        atLeast("checkpointEvery", checkpointEvery, 0);
        atLeast("evalBatchSize", evalBatchSize, 1);
        atLeast("oblivionExamples", oblivionExamples, 0);
        atLeast("maxSkippedSteps", maxSkippedSteps, 0);
        atLeast("trimMb", trimMb, 0);
        atLeast("validationExamples", validationExamples, 0);
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw domain("lr", "must be positive", lr);
        }
        if (!(warmup >= 0 && warmup <= 1) || !(decay >= 0 && decay <= 1)) {
            throw domain(warmup >= 0 && warmup <= 1 ? "decay" : "warmup", "must be a fraction in [0, 1]", warmup >= 0 && warmup <= 1 ? decay : warmup);
        }
        if (batchSize % gradAccum != 0) {
            throw new MooreException("config: 'batchSize' (" + batchSize + ") must be a positive multiple of 'gradAccum' (" + gradAccum + ")");
        }
        if (epochs <= 0 && maxSteps <= 0) {
            throw new MooreException("config: set 'epochs' or 'maxSteps' to a positive value");
        }
        new Schedule(schedule, warmup, decay, 1);
        methodConfig();
        return this;
    }

    /** Refuses a value below {@code min} (or not a finite number), naming the field and its flag. */
    private static void atLeast(String field, double value, double min) {
        if (!(value >= min) || Double.isInfinite(value)) {
            throw domain(field, "must be at least " + (min == Math.rint(min) ? String.valueOf((long) min) : String.valueOf(min)), value);
        }
    }

    private static MooreException domain(String field, String rule, double value) {
        String flag = "--" + field.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
        try {
            Flag f = TrainConfig.class.getDeclaredField(field).getAnnotation(Flag.class);
            if (f == null) {
                f = Arrays.stream(TrainConfig.class.getRecordComponents()).filter(rc -> rc.getName().equals(field)).findFirst()
                        .map(rc -> rc.getAnnotation(Flag.class)).orElse(null);
            }
            if (f != null && f.names().length > 0) {
                flag = f.names()[0];
            }
        } catch (NoSuchFieldException e) {
            // keep the kebab-case name
        }
        String got = value == Math.rint(value) && !Double.isInfinite(value) ? String.valueOf((long) value) : String.valueOf(value);
        return new MooreException(flag + " (config field '" + field + "') " + rule + ", got " + got);
    }

    /** The method's full hyperparameters: its defaults with {@link #adapter} applied (errors name the key). */
    public MethodConfig methodConfig() {
        return Methods.config(method, adapter, "config field 'adapter'");
    }

    /** This config with {@link #adapter} holding the method's full hyperparameters (what checkpoints record). */
    public TrainConfig withResolvedAdapter() {
        ObjectNode n = toJson();
        n.set("adapter", Methods.toJson(methodConfig()));
        return fromJson(n, "config");
    }

    public ObjectNode toJson() {
        return JSON.valueToTree(this);
    }

    /** Defaults overlaid with the fields of {@code node}; unknown fields are an error naming them. */
    public static TrainConfig fromJson(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new MooreException(where + ": training config missing or not an object");
        }
        ObjectNode merged = defaults().toJson();
        node.fields().forEachRemaining(f -> merged.set(f.getKey(), f.getValue()));
        legacyFields(merged);
        try {
            return JSON.treeToValue(merged, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new MooreException(where + ": unknown field '" + e.getPropertyName() + "'");
        } catch (IOException e) {
            throw new MooreException(where + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /**
     * Configs written before methods had their own hyperparameters kept {@code targets} at the top level: it
     * moves into {@code adapter}; each method moves its own old fields ({@link Method#upgradeLegacyConfig}).
     */
    private static void legacyFields(ObjectNode n) {
        JsonNode targets = n.remove("targets");
        if (targets != null && !(targets.isArray() && targets.isEmpty())) {
            ObjectNode a = n.path("adapter").isObject() ? (ObjectNode) n.get("adapter") : n.putObject("adapter");
            if (!a.has("targets")) {
                a.set("targets", targets);
            }
        }
        Methods.all().forEach(m -> m.upgradeLegacyConfig(n));
    }

    /**
     * Reads our JSON/YAML config, or the reference MoE-PEFT JSON (an object with a {@code lora} list; its
     * first entry is used).
     */
    public static TrainConfig read(Path file) {
        JsonNode node = ObjectFiles.read(file, "config");
        if (node.has("lora")) {
            return MoePeftConfig.convert(node, file.toString());
        }
        return fromJson(node, file.toString());
    }
}
