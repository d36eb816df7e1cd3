package dev.moore4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference implementation's MoE-PEFT JSON config: {@code {"cutoff_len": …, "lora": [{"name", "task_name": "a;b;c",
 * "lr", "batch_size", "micro_batch_size", "num_epochs", "task_embedding_dim", "target_modules", …}]}}. Fields we map are
 * listed below; the rest (r, lora_alpha, num_experts: MoORE uses every rank-one expert) are reported and ignored.
 */
final class MoePeftConfig {
    private MoePeftConfig() {}

    static TrainConfig convert(JsonNode root, String where) {
        JsonNode lora = root.get("lora");
        if (!lora.isArray() || lora.isEmpty()) {
            throw new MooreException(where + ": field 'lora' must be a non-empty list of adapter entries");
        }
        JsonNode e = lora.get(0);
        if (lora.size() > 1) {
            System.err.println(where + ": " + lora.size() + " entries in 'lora'; training the first ('" + e.path("name").asText() + "')");
        }
        ObjectNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        String tasks = e.path("task_name").asText("");
        if (tasks.isBlank()) {
            throw new MooreException(where + ": lora[0] has no 'task_name' (tasks separated by ';')");
        }
        List<String> names = new ArrayList<>();
        for (String t : tasks.split(";")) {
            names.add(t.strip().replaceFirst("^glue:", ""));
        }
        out.set("tasks", out.arrayNode().addAll(names.stream().map(out::textNode).toList()));
        if (e.has("routing_strategy") && !e.get("routing_strategy").asText().equals("moore")) {
            throw new MooreException(where + ": lora[0].routing_strategy is '" + e.get("routing_strategy").asText() + "', expected moore");
        }
        out.put("method", "moore");
        copy(e, "lr", out, "lr");
        copy(e, "batch_size", out, "batchSize");
        copy(e, "num_epochs", out, "epochs");
        copy(e, "task_embedding_dim", out, "taskEmbeddingDim");
        if (e.has("cutoff_len") || root.has("cutoff_len")) {
            out.put("maxLength", e.has("cutoff_len") ? e.get("cutoff_len").asInt() : root.get("cutoff_len").asInt());
        }
        if (e.has("micro_batch_size")) {
            int batch = e.path("batch_size").asInt(TrainConfig.defaults().batchSize());
            int micro = e.get("micro_batch_size").asInt();
            if (micro < 1 || batch % micro != 0) {
                throw new MooreException(where + ": lora[0].batch_size " + batch + " is not a multiple of micro_batch_size " + micro);
            }
            out.put("gradAccum", batch / micro);
        }
        if (e.has("scheduler_type")) {
            out.put("schedule", e.get("scheduler_type").asText().equals("cosine") ? "cosine" : "constant");
        }
        JsonNode tm = e.get("target_modules");
        if (tm != null) {
            List<String> targets = new ArrayList<>();
            if (tm.isObject()) {
                tm.fields().forEachRemaining(f -> {
                    if (f.getValue().asBoolean()) {
                        targets.add(f.getKey());
                    }
                });
            } else {
                tm.forEach(t -> targets.add(t.asText()));
            }
            out.set("targets", out.arrayNode().addAll(targets.stream().map(out::textNode).toList()));
        }
        List<String> ignored = new ArrayList<>();
        e.fieldNames().forEachRemaining(f -> {
            if (!List.of("name", "task_name", "lr", "batch_size", "micro_batch_size", "num_epochs", "task_embedding_dim", "cutoff_len",
                    "scheduler_type", "target_modules", "routing_strategy").contains(f)) {
                ignored.add(f);
            }
        });
        if (!ignored.isEmpty()) {
            System.err.println(where + ": MoE-PEFT fields not used by moore4j: " + String.join(", ", ignored));
        }
        return TrainConfig.fromJson(out, where);
    }

    private static void copy(JsonNode from, String key, ObjectNode to, String field) {
        if (from.has(key)) {
            to.set(field, from.get(key));
        }
    }
}
