package dev.moore4j.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.Methods;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a training run needs, as one record that round-trips to JSON/YAML (missing fields take
 * the defaults of {@link #defaults()}).
 *
 * @param model             base model: alias or path
 * @param method            adaptation method ({@code moore}, {@code lora}, …, {@code heads}; see {@code Methods})
 * @param tasks             task names, suite names (nlu-mtl, csr-mtl) or task spec files
 * @param data              data root; null = $MOORE4J_DATA, else ../shared/data
 * @param maxTrainExamples  per-task cap on training examples (0 = all), seeded subsample
 * @param maxEvalExamples   per-task cap on evaluation examples (0 = all)
 * @param maxLength         tokens per sequence
 * @param batchSize         examples per optimiser step
 * @param gradAccum         micro-batches per step (batchSize is split among them)
 * @param epochs            passes over the mixed training set
 * @param maxSteps          if positive, stop after this many optimiser steps
 * @param lr                adapter learning rate
 * @param headLr            learning rate of the task heads
 * @param weightDecay       AdamW decoupled weight decay
 * @param schedule          constant, cosine or wsd
 * @param warmup            warmup fraction of the steps
 * @param decay             decay fraction (wsd)
 * @param clipNorm          global gradient-norm clip (0 = off)
 * @param seed              seed of subsampling, shuffling and initialisation
 * @param evalEvery         evaluate (and checkpoint) every N steps; 0 = only at the end
 * @param evalBatchSize     examples per evaluation batch
 * @param adapter           the method's hyperparameters that differ from its defaults (snake_case keys, e.g. r, top_k, targets)
 * @param wholeSequenceLoss decoders: LM loss on the whole sequence instead of the answer tokens
 * @param skipBadRows       skip malformed data rows instead of stopping
 * @param oblivion          measure the oblivion figure before and after training
 * @param heldOutText       decoders: held-out text file (one document per line) for the perplexity oblivion figure
 * @param oblivionExamples  encoders: STS-B dev pairs for the oblivion figure (0 = all 1500), a seeded subsample
 * @param maxSkippedSteps   steps with a non-finite loss or gradient whose update may be dropped before the run stops (0 = stop at the first)
 * @param validationExamples per task, hold this many training examples out as the evaluation set (0 = evaluate on the task's dev/test split); for choosing hyperparameters without looking at the evaluation split
 * @param trimMb            return freed native memory to the OS (malloc_trim) whenever RSS exceeds the working level of the first 10 steps by this many MiB (0 = never)
 */
public record TrainConfig(String model, String method, List<String> tasks, String data, int maxTrainExamples, int maxEvalExamples,
                          int maxLength, int batchSize, int gradAccum, double epochs, int maxSteps, double lr, double headLr,
                          double weightDecay, String schedule, double warmup, double decay, double clipNorm, long seed, int evalEvery,
                          int evalBatchSize, Map<String, Object> adapter, boolean wholeSequenceLoss, boolean skipBadRows, boolean oblivion, String heldOutText,
                          int oblivionExamples, int maxSkippedSteps, int trimMb, int validationExamples) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public TrainConfig {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
        adapter = adapter == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(adapter));
    }

    public static TrainConfig defaults() {
        return new TrainConfig("minilm", "moore", List.of(), null, 0, 0, 128, 16, 1, 1, 0, 3e-4, 2e-3, 0.01, "constant", 0.1, 0.2, 1.0, 42,
                0, 64, Map.of(), false, false, true, null, 0, 0, 1024, 0);
    }

    /** Checks the fields, naming the first bad one. */
    public TrainConfig validate() {
        Methods.get(method);
        if (tasks.isEmpty()) {
            throw new MooreException("config: field 'tasks' is empty; name at least one task (e.g. nlu-mtl, or cola sst2)");
        }
        if (batchSize < 1 || gradAccum < 1 || batchSize % gradAccum != 0) {
            throw new MooreException("config: 'batchSize' (" + batchSize + ") must be a positive multiple of 'gradAccum' (" + gradAccum + ")");
        }
        if (epochs <= 0 && maxSteps <= 0) {
            throw new MooreException("config: set 'epochs' or 'maxSteps' to a positive value");
        }
        if (maxLength < 8) {
            throw new MooreException("config: field 'maxLength' must be at least 8, got " + maxLength);
        }
        if (!(lr > 0) || !(headLr >= 0)) {
            throw new MooreException("config: 'lr' must be positive and 'headLr' non-negative");
        }
        if (validationExamples < 0) {
            throw new MooreException("config: field 'validationExamples' must be 0 (use the evaluation split) or positive, got " + validationExamples);
        }
        if (trimMb < 0) {
            throw new MooreException("config: field 'trimMb' must be 0 (off) or positive, got " + trimMb);
        }
        new Schedule(schedule, warmup, decay, 1);
        methodConfig();
        return this;
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
        ObjectNode merged = defaults().toJson();
        node.fields().forEachRemaining(f -> merged.set(f.getKey(), f.getValue()));
        legacyMooreFields(merged);
        try {
            return JSON.treeToValue(merged, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new MooreException(where + ": unknown field '" + e.getPropertyName() + "'");
        } catch (IOException e) {
            throw new MooreException(where + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /**
     * Configs written before methods had their own hyperparameters kept MoORE's at the top level
     * ({@code taskEmbeddingDim}, {@code sampleRouterDim}, {@code householder}, {@code targets}): they move into
     * {@code adapter}, under the method's keys.
     */
    private static void legacyMooreFields(ObjectNode n) {
        String[][] moved = {{"taskEmbeddingDim", "task_embedding_dim"}, {"sampleRouterDim", "sample_router_dim"}, {"householder", "householder"},
                {"targets", "targets"}};
        for (String[] m : moved) {
            JsonNode v = n.remove(m[0]);
            boolean appliesToMethod = m[0].equals("targets") || "moore".equals(n.path("method").asText("moore"));
            if (v != null && appliesToMethod && !(v.isArray() && v.isEmpty())) {
                if (!n.path("adapter").isObject()) {
                    n.putObject("adapter");
                }
                ObjectNode a = (ObjectNode) n.get("adapter");
                if (!a.has(m[1])) {
                    a.set(m[1], v);
                }
            }
        }
    }

    /**
     * Reads our JSON/YAML config, or the reference MoE-PEFT JSON (an object with a {@code lora} list; its
     * first entry is used).
     */
    public static TrainConfig read(Path file) {
        JsonNode node = dev.moore4j.io.ObjectFiles.read(file, "config");
        if (node.has("lora")) {
            return MoePeftConfig.convert(node, file.toString());
        }
        return fromJson(node, file.toString());
    }
}
