package dev.moore4j.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.io.WeightsDtype;
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
        @Flag(value = "Base model: alias or path.", dflt = "minilm") String model,
        @Flag(value = "Adaptation method (moore, lora, …, heads; see moore adapt --help).", dflt = "moore") String method,
        @Flag("Task names, suite names (nlu-mtl, csr-mtl) or task spec files, comma-separated.") List<String> tasks,
        @Flag("Data root (default: $MOORE4J_DATA, else ../shared/data).") String data,
        @Flag(value = "Per-task cap on training examples (0 = all), a seeded subsample.", names = "--max-train") int maxTrainExamples,
        @Flag(value = "Per-task cap on evaluation examples (0 = all).", names = "--max-eval") int maxEvalExamples,
        @Flag(value = "Tokens per sequence.", dflt = "128") int maxLength,
        @Flag(value = "Examples per optimiser step.", dflt = "16") int batchSize,
        @Flag(value = "Micro-batches per step (the batch is split among them).", dflt = "1") int gradAccum,
        @Flag(value = "Passes over the mixed training set.", dflt = "1") double epochs,
        @Flag("If positive, stop after this many optimiser steps.") int maxSteps,
        @Flag(value = "Adapter learning rate.", dflt = "3e-4") double lr,
        @Flag(value = "Learning rate of the task heads.", dflt = "2e-3") double headLr,
        @Flag(value = "AdamW decoupled weight decay.", dflt = "0.01") double weightDecay,
        @Flag(value = "Schedule after the warmup: constant, cosine or wsd.", dflt = "constant") String schedule,
        @Flag(value = "Warmup fraction of the steps.", dflt = "0.1") double warmup,
        @Flag(value = "Decay fraction of the steps (wsd).", dflt = "0.2") double decay,
        @Flag(value = "Global gradient-norm clip (0 = off).", dflt = "1.0") double clipNorm,
        @Flag(value = "Seed of subsampling, shuffling, initialisation and dropout.", dflt = "42") long seed,
        @Flag("Evaluate (and checkpoint) every N steps; 0 = only at the end.") int evalEvery,
        @Flag("Also save a resumable checkpoint every N steps, without evaluating (0 = only where it evaluates).") int checkpointEvery,
        @Flag(value = "Examples per evaluation batch.", dflt = "64") int evalBatchSize,
        @Flag(value = "The method's hyperparameters that differ from its defaults (snake_case keys: r, top_k, targets, …); use --set.", hidden = true)
        Map<String, Object> adapter,
        @Flag("Decoders: LM loss on the whole sequence instead of the answer tokens.") boolean wholeSequenceLoss,
        @Flag("Skip malformed data rows (and report how many) instead of stopping.") boolean skipBadRows,
        @Flag(value = "Skip the before/after oblivion figure.", names = "--no-oblivion", negated = true, dflt = "true") boolean oblivion,
        @Flag("Decoders: held-out text file (one document per line) for the perplexity oblivion figure.") String heldOutText,
        @Flag(value = "Encoders: STS-B dev pairs for the oblivion figure (0 = all 1500), a seeded subsample.", names = "--max-oblivion") int oblivionExamples,
        @Flag(value = "Non-finite steps whose update may be dropped before the run stops (0 = stop at the first).", names = "--max-skipped-steps")
        int maxSkippedSteps,
        @Flag(value = "Return freed native memory to the OS whenever RSS exceeds the first 10 steps' working level by this many MiB (0 = never).", dflt = "1024") int trimMb,
        @Flag(value = "Per task, hold this many training examples out as the evaluation set (0 = the task's dev/test split): choose hyperparameters without the evaluation split.",
                names = "--validation") int validationExamples,
        @Flag("Recompute each layer's activations in the backward pass instead of keeping them (gradient checkpointing): memory of one layer instead of all, for one more forward pass.")
        boolean recompute,
        @Flag(value = "Frozen weights (linear layers, token embeddings) held as fp32, or fp16: half their memory, arithmetic still fp32 (bf16 is refused: DJL 0.36 has no bfloat16).",
                dflt = "fp32") String weightsDtype,
        @Flag(value = "Memory the run may use: auto (what the machine or its cgroup has available, less a margin), off, or a size such as 12g or 800m. Before the first step the run estimates its peak and recomputes layers when keeping their activations would not fit (summary.json: memory_plan).",
                dflt = "auto") String memoryBudget,
        @Flag("Continue this trained adapter (its directory, or a run directory holding best/) on the tasks of --tasks: its tasks keep their ids and heads, a new task's embedding starts from the mean of the old ones; method, hyperparameters and base model are the adapter's.")
        String from,
        @Flag("With --from: also train on this many examples of each earlier task (replay; 0 = none), drawn from its training split by the seed.")
        int replay) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public TrainConfig {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
        adapter = adapter == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(adapter));
    }

    /** The defaults of every field: each {@link Flag#dflt}, zero, false, null or empty where it has none. */
    public static TrainConfig defaults() {
        return DEFAULTS;
    }

    private static final TrainConfig DEFAULTS = readDefaults();

    private static TrainConfig readDefaults() {
        ObjectNode n = JSON.createObjectNode();
        for (var rc : TrainConfig.class.getRecordComponents()) {
            Flag f = rc.getAnnotation(Flag.class);
            if (f != null && !f.dflt().isEmpty()) {
                n.put(rc.getName(), f.dflt()); // Jackson reads "128" as an int, "true" as a boolean
            }
        }
        try {
            return JSON.treeToValue(n, TrainConfig.class);
        } catch (IOException e) {
            throw new IllegalStateException("TrainConfig: a @Flag default does not read as its field: " + e.getMessage(), e);
        }
    }

    /** A config by named fields: {@code TrainConfig.builder().method("lora").lr(1e-4).build()}; unset fields keep the defaults. */
    public static Builder builder() {
        return DEFAULTS.toBuilder();
    }

    /** This config's fields, to change some by name. */
    public Builder toBuilder() {
        return new Builder(toJson());
    }

    /** The fields of a {@link TrainConfig} by name, each setter a component's; {@link #build} reads them as the record reads JSON. */
    public static final class Builder {
        private final ObjectNode values;

        private Builder(ObjectNode values) {
            this.values = values;
        }

        private Builder set(String field, Object v) {
            values.set(field, JSON.valueToTree(v));
            return this;
        }

        public Builder model(String v) {
            return set("model", v);
        }

        public Builder method(String v) {
            return set("method", v);
        }

        public Builder tasks(List<String> v) {
            return set("tasks", v);
        }

        public Builder data(String v) {
            return set("data", v);
        }

        public Builder maxTrainExamples(int v) {
            return set("maxTrainExamples", v);
        }

        public Builder maxEvalExamples(int v) {
            return set("maxEvalExamples", v);
        }

        public Builder maxLength(int v) {
            return set("maxLength", v);
        }

        public Builder batchSize(int v) {
            return set("batchSize", v);
        }

        public Builder gradAccum(int v) {
            return set("gradAccum", v);
        }

        public Builder epochs(double v) {
            return set("epochs", v);
        }

        public Builder maxSteps(int v) {
            return set("maxSteps", v);
        }

        public Builder lr(double v) {
            return set("lr", v);
        }

        public Builder headLr(double v) {
            return set("headLr", v);
        }

        public Builder weightDecay(double v) {
            return set("weightDecay", v);
        }

        public Builder schedule(String v) {
            return set("schedule", v);
        }

        public Builder warmup(double v) {
            return set("warmup", v);
        }

        public Builder decay(double v) {
            return set("decay", v);
        }

        public Builder clipNorm(double v) {
            return set("clipNorm", v);
        }

        public Builder seed(long v) {
            return set("seed", v);
        }

        public Builder evalEvery(int v) {
            return set("evalEvery", v);
        }

        public Builder checkpointEvery(int v) {
            return set("checkpointEvery", v);
        }

        public Builder evalBatchSize(int v) {
            return set("evalBatchSize", v);
        }

        public Builder adapter(Map<String, Object> v) {
            return set("adapter", v);
        }

        public Builder wholeSequenceLoss(boolean v) {
            return set("wholeSequenceLoss", v);
        }

        public Builder skipBadRows(boolean v) {
            return set("skipBadRows", v);
        }

        public Builder oblivion(boolean v) {
            return set("oblivion", v);
        }

        public Builder heldOutText(String v) {
            return set("heldOutText", v);
        }

        public Builder oblivionExamples(int v) {
            return set("oblivionExamples", v);
        }

        public Builder maxSkippedSteps(int v) {
            return set("maxSkippedSteps", v);
        }

        public Builder trimMb(int v) {
            return set("trimMb", v);
        }

        public Builder validationExamples(int v) {
            return set("validationExamples", v);
        }

        public Builder recompute(boolean v) {
            return set("recompute", v);
        }

        public Builder weightsDtype(WeightsDtype v) {
            return set("weightsDtype", v.label());
        }

        public Builder memoryBudget(String v) {
            return set("memoryBudget", v);
        }

        public Builder from(String v) {
            return set("from", v);
        }

        public Builder replay(int v) {
            return set("replay", v);
        }

        public TrainConfig build() {
            try {
                return JSON.treeToValue(values, TrainConfig.class);
            } catch (IOException e) {
                throw new MooreException("config: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    /** How the frozen weights are held; fp32 for a config from before the field existed. */
    public WeightsDtype frozenWeights() {
        return weightsDtype == null ? WeightsDtype.FP32 : WeightsDtype.parse(weightsDtype);
    }

    /** Checks the fields, naming the first bad one. */
    public TrainConfig validate() {
        Methods.get(method);
        frozenWeights().storage(); // an unknown or unavailable dtype, named
        dev.moore4j.util.MemoryBudget.parse(memoryBudget); // a size that does not read, named
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
        atLeast("replay", replay, 0);
        if (replay > 0 && from == null) {
            throw new MooreException("--replay (config field 'replay') replays the tasks of an earlier stage: give the adapter with --from");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw domain("lr", "must be positive", lr);
        }
        if (!(warmup >= 0 && warmup <= 1) || !(decay >= 0 && decay <= 1)) {
            throw domain(warmup >= 0 && warmup <= 1 ? "decay" : "warmup", "must be a fraction in [0, 1]", warmup >= 0 && warmup <= 1 ? decay : warmup);
        }
        if (batchSize % gradAccum != 0) {
            throw new MooreException("config: 'batchSize' (" + batchSize + ") must be a positive multiple of 'gradAccum' (" + gradAccum + ")");
        }
        if (epochs <= 0 && maxSteps <= 0 && from == null) { // a continued adapter may add tasks without training (0 steps)
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
