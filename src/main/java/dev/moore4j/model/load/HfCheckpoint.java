package dev.moore4j.model.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.io.WeightSource;
import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.bert.BertConfig;
import dev.moore4j.model.llama.LlamaConfig;
import dev.moore4j.model.llama.LlamaFamily;
import dev.moore4j.model.llama.LlamaModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Hugging Face checkpoint directories: {@code config.json} plus {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}. Supported architectures: BertModel (and BERT heads, whose
 * encoder is read) and LlamaForCausalLM / Qwen2ForCausalLM.
 */
public final class HfCheckpoint {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Set<String> BERT_ARCHS = Set.of("BertModel", "BertForMaskedLM", "BertForPreTraining",
            "BertForSequenceClassification", "BertForTokenClassification");
    /** The decoders of the Llama layout, one per {@link LlamaFamily}. */
    public static final Set<String> LLAMA_ARCHS = java.util.stream.Stream.of(LlamaFamily.values()).map(LlamaFamily::architecture)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    private HfCheckpoint() {}

    public static JsonNode readConfig(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            throw new MooreException(cfg + ": missing (a Hugging Face checkpoint directory needs config.json)");
        }
        try {
            return JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new MooreException(cfg + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** The architecture name, checked against what we support. */
    public static String architecture(Path dir, JsonNode cfg) {
        JsonNode archs = cfg.path("architectures");
        String arch = archs.isArray() && archs.size() > 0 ? archs.get(0).asText() : cfg.path("model_type").asText("");
        if (arch.equals("bert")) {
            arch = "BertModel";
        } else {
            arch = LlamaFamily.of(arch).map(LlamaFamily::architecture).orElse(arch);
        }
        if (!BERT_ARCHS.contains(arch) && !LLAMA_ARCHS.contains(arch)) {
            throw new MooreException(dir.resolve("config.json") + ": unsupported architecture '" + arch
                    + "' (supported: BertModel, " + String.join(", ", new java.util.TreeSet<>(LLAMA_ARCHS)) + ")");
        }
        return arch;
    }

    private static int intField(Path dir, JsonNode cfg, String field) {
        JsonNode n = cfg.get(field);
        if (n == null || !n.canConvertToInt() || n.asInt() <= 0) {
            throw new MooreException(dir.resolve("config.json") + ": field '" + field + "' is missing or not a positive integer");
        }
        return n.asInt();
    }

    public static BertConfig bertConfig(Path dir, JsonNode c) {
        try {
            return new BertConfig(intField(dir, c, "vocab_size"), intField(dir, c, "hidden_size"), intField(dir, c, "num_hidden_layers"),
                    intField(dir, c, "num_attention_heads"), intField(dir, c, "intermediate_size"),
                    intField(dir, c, "max_position_embeddings"), c.path("type_vocab_size").asInt(2),
                    (float) c.path("layer_norm_eps").asDouble(1e-12));
        } catch (IllegalArgumentException e) {
            throw new MooreException(dir.resolve("config.json") + ": " + e.getMessage());
        }
    }

    public static LlamaConfig llamaConfig(Path dir, JsonNode c, String arch) {
        Path file = dir.resolve("config.json");
        int heads = intField(dir, c, "num_attention_heads");
        LlamaFamily family = LlamaFamily.of(arch).orElseThrow();
        boolean gemma = family.has(LlamaFamily.Trait.GEMMA);
        try {
            int window = family.slidingWindow() && !c.path("sliding_window").isNull() ? c.path("sliding_window").asInt(gemma ? 4096 : 0) : 0;
            return new LlamaConfig(intField(dir, c, "vocab_size"), intField(dir, c, "hidden_size"), intField(dir, c, "intermediate_size"),
                    intField(dir, c, "num_hidden_layers"), heads, c.path("num_key_value_heads").asInt(heads),
                    c.path("max_position_embeddings").asInt(2048), (float) c.path("rms_norm_eps").asDouble(1e-6),
                    (float) c.path("rope_theta").asDouble(family == LlamaFamily.GEMMA3 ? 1e6 : 10000), c.path("tie_word_embeddings").asBoolean(gemma),
                    family.qkvBias() || c.path("attention_bias").asBoolean(false), arch,
                    c.path("head_dim").isNull() ? 0 : c.path("head_dim").asInt(gemma ? 256 : 0), family.has(LlamaFamily.Trait.QK_NORM), window,
                    ropeScaling(file, c.get("rope_scaling")), gemma ? gemma(file, c, family) : null);
        } catch (IllegalArgumentException e) {
            throw new MooreException(file + ": " + e.getMessage());
        }
    }

    /** Gemma's fields, with the defaults of its Hugging Face config class where a field is absent. */
    private static LlamaConfig.Gemma gemma(Path file, JsonNode c, LlamaFamily family) {
        boolean two = family == LlamaFamily.GEMMA2;
        String act = c.path("hidden_activation").asText(c.path("hidden_act").asText("gelu_pytorch_tanh"));
        if (!act.equals("gelu_pytorch_tanh")) {
            throw new MooreException(file + ": field 'hidden_activation' is '" + act + "'; Gemma's FFN here is gelu_pytorch_tanh");
        }
        int globalEvery = two ? 2 : c.path("sliding_window_pattern").asInt(6);
        JsonNode types = c.get("layer_types");
        if (types != null && types.isArray()) { // newer configs list each layer; ours is the periodic pattern, so check it is one
            int first = 0;
            while (first < types.size() && !types.get(first).asText().equals("full_attention")) {
                first++;
            }
            globalEvery = first + 1;
            for (int i = 0; i < types.size(); i++) {
                String want = (i + 1) % globalEvery == 0 ? "full_attention" : "sliding_attention";
                if (!types.get(i).asText().equals(want)) {
                    throw new MooreException(file + ": field 'layer_types[" + i + "]' is '" + types.get(i).asText() + "'; only a periodic "
                            + "pattern (one full_attention layer after every " + (globalEvery - 1) + " sliding_attention layers) is supported");
                }
            }
        }
        return new LlamaConfig.Gemma((float) c.path("query_pre_attn_scalar").asDouble(256), softcap(c, "attn_logit_softcapping", two ? 50 : 0),
                softcap(c, "final_logit_softcapping", two ? 30 : 0), globalEvery, two ? 0 : (float) c.path("rope_local_base_freq").asDouble(10000));
    }

    private static float softcap(JsonNode c, String field, float absent) {
        JsonNode n = c.get(field);
        return n == null ? absent : n.isNull() ? 0 : (float) n.asDouble();
    }

    /** {@code rope_scaling}: none, Llama 3's ({@code rope_type: llama3}) or {@code linear}; any other kind is refused by name. */
    private static LlamaConfig.RopeScaling ropeScaling(Path file, JsonNode s) {
        if (s == null || s.isNull()) {
            return null;
        }
        String type = s.path("rope_type").asText(s.path("type").asText(""));
        String[] fields = switch (type) {
            case "default" -> new String[0];
            case "linear" -> new String[] {"factor"};
            case "llama3" -> new String[] {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"};
            default -> throw new MooreException(file + ": field 'rope_scaling' of type '" + type + "' is not supported (supported: llama3, linear)");
        };
        for (String f : fields) {
            if (!s.path(f).isNumber()) {
                throw new MooreException(file + ": field 'rope_scaling." + f + "' is missing or not a number");
            }
        }
        return switch (type) {
            case "default" -> null;
            case "linear" -> new LlamaConfig.LinearScaling(s.get("factor").asDouble());
            default -> new LlamaConfig.Llama3Scaling(s.get("factor").asDouble(), s.get("low_freq_factor").asDouble(),
                    s.get("high_freq_factor").asDouble(), s.get("original_max_position_embeddings").asInt());
        };
    }

    /** The checkpoint's tensors (single file or shards); {@code stripPrefix} drops e.g. "bert.". */
    public static WeightSource weights(Path dir, String stripPrefix) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<String, Safetensors.Reader> byName = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            Safetensors.Reader r = Safetensors.open(single);
            r.entries().keySet().forEach(n -> byName.put(n, r));
        } else if (Files.isRegularFile(index)) {
            JsonNode map;
            try {
                map = JSON.readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw new MooreException(index + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (map == null || !map.isObject()) {
                throw new MooreException(index + ": field 'weight_map' is missing");
            }
            Map<String, Safetensors.Reader> shards = new HashMap<>();
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                Safetensors.Reader r = shards.computeIfAbsent(e.getValue().asText(), f -> Safetensors.open(dir.resolve(f)));
                if (!r.has(e.getKey())) {
                    throw new MooreException(r.path() + ": missing tensor '" + e.getKey() + "' listed in " + index.getFileName());
                }
                byName.put(e.getKey(), r);
            }
        } else {
            throw new MooreException(dir + ": no model.safetensors or model.safetensors.index.json");
        }
        Map<String, String> renamed = new LinkedHashMap<>();
        for (String n : byName.keySet()) {
            renamed.put(stripPrefix != null && n.startsWith(stripPrefix) ? n.substring(stripPrefix.length()) : n, n);
        }
        Set<String> names = new LinkedHashSet<>(renamed.keySet());
        StringBuilder identity = new StringBuilder("safetensors|").append(stripPrefix);
        new LinkedHashSet<>(byName.values()).forEach(r -> identity.append('|').append(r.identity()));
        return new WeightSource(dir.toString(), names, n -> byName.get(renamed.get(n)).read(renamed.get(n)),
                n -> byName.get(renamed.get(n)).map(renamed.get(n)), identity.toString());
    }

    /** A decoder's tensors: as stored, or for a fused family ({@link LlamaFamily#fused}) each projection its rows of the fused one. */
    public static WeightSource decoderWeights(Path dir, LlamaConfig c) {
        WeightSource w = weights(dir, null);
        return LlamaFamily.of(c).fused() ? w.withRowRanges(FusedProjections.parts(c, w.names())) : w;
    }

    /** A decoder as a Hugging Face checkpoint ({@code config.json} and {@code model.safetensors}), adapted layers merged. */
    public static void write(Path dir, DecoderModel model) {
        if (!(model instanceof LlamaModel llama)) {
            throw new MooreException(model.family() + ": no Hugging Face export for this family");
        }
        writeLlama(dir, llama.config(), llama.exportWeights());
    }

    /** Writes a Llama checkpoint directory (config.json + model.safetensors), each file atomically. */
    public static void writeLlama(Path dir, LlamaConfig c, Map<String, HostTensor> weights) {
        ObjectNode cfg = JSON.createObjectNode();
        LlamaFamily family = LlamaFamily.of(c);
        cfg.putArray("architectures").add(family.architecture());
        cfg.put("model_type", family.modelType());
        if (c.explicitHeadDim() > 0) {
            cfg.put("head_dim", c.explicitHeadDim());
        }
        if (c.qkvBias() && !family.qkvBias()) {
            cfg.put("attention_bias", true);
        }
        if (c.slidingWindow() > 0) {
            cfg.put("sliding_window", c.slidingWindow());
        }
        if (c.ropeScaling() instanceof LlamaConfig.Llama3Scaling r) {
            cfg.putObject("rope_scaling").put("rope_type", "llama3").put("factor", r.factor()).put("low_freq_factor", r.lowFreqFactor())
                    .put("high_freq_factor", r.highFreqFactor()).put("original_max_position_embeddings", r.originalMaxPositions());
        } else if (c.ropeScaling() instanceof LlamaConfig.LinearScaling r) {
            cfg.putObject("rope_scaling").put("rope_type", "linear").put("factor", r.factor());
        }
        if (c.gemma() != null) {
            writeGemma(cfg, c);
        }
        cfg.put("vocab_size", c.vocabSize());
        cfg.put("hidden_size", c.hiddenSize());
        cfg.put("intermediate_size", c.intermediateSize());
        cfg.put("num_hidden_layers", c.numHiddenLayers());
        cfg.put("num_attention_heads", c.numAttentionHeads());
        cfg.put("num_key_value_heads", c.numKeyValueHeads());
        cfg.put("max_position_embeddings", c.maxPositionEmbeddings());
        cfg.put("rms_norm_eps", c.rmsNormEps());
        cfg.put("rope_theta", c.ropeTheta());
        cfg.put("tie_word_embeddings", c.tieWordEmbeddings());
        cfg.put("torch_dtype", "float32");
        Safetensors.write(dir.resolve("model.safetensors"), family.fused() ? FusedProjections.fuse(c, weights) : weights, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve("config.json"), cfg.toPrettyString() + "\n");
    }

    private static void writeGemma(ObjectNode cfg, LlamaConfig c) {
        LlamaConfig.Gemma g = c.gemma();
        cfg.put("hidden_activation", "gelu_pytorch_tanh");
        cfg.put("query_pre_attn_scalar", g.queryPreAttnScalar());
        putCap(cfg, "attn_logit_softcapping", g.attnSoftcap());
        putCap(cfg, "final_logit_softcapping", g.finalSoftcap());
        if (LlamaFamily.of(c) == LlamaFamily.GEMMA3) {
            cfg.put("sliding_window_pattern", g.globalEvery());
            cfg.put("rope_local_base_freq", g.localRopeTheta());
        }
        var types = cfg.putArray("layer_types");
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            types.add(c.span(i) == LlamaConfig.Span.LOCAL ? "sliding_attention" : "full_attention");
        }
    }

    private static void putCap(ObjectNode cfg, String field, float cap) {
        if (cap > 0) {
            cfg.put(field, cap);
        } else {
            cfg.putNull(field);
        }
    }
}
