package dev.moore4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference implementation's MoE-PEFT JSON config: {@code {"cutoff_len": …, "lora": [{"name", "task_name": "a;b;c",
 * "lr", "batch_size", "micro_batch_size", "num_epochs", "routing_strategy", "r", "lora_alpha", "num_experts", …}]}}.
 * The adapter type picks the method: no {@code routing_strategy} is plain LoRA ({@code init_lora_weights: "pissa"}
 * or {@code "milora"} the SVD variants); {@code mixlora}, {@code loramoe}, {@code mola}, {@code hydralora},
 * {@code mtl-lora}, {@code mosld}, {@code omoe}, {@code goat} and {@code moore} name ours. Hyperparameters map to the
 * method's keys where it has them ({@code r}, {@code lora_alpha → alpha}, {@code lora_dropout → dropout},
 * {@code num_experts → experts}, {@code top_k}, {@code router_aux_loss_coef → balance_coef},
 * {@code task_embedding_dim}, {@code target_modules → targets}); the rest are reported and ignored.
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
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("tasks", out.arrayNode().addAll(tasks(e, where).stream().map(out::textNode).toList()));
        String method = method(e, where);
        out.put("method", method);
        ObjectNode defaults = Methods.toJson(Methods.get(method).defaults());
        ObjectNode adapter = out.putObject("adapter");
        List<String> used = new ArrayList<>(List.of("name", "task_name", "lr", "batch_size", "micro_batch_size", "num_epochs", "cutoff_len",
                "scheduler_type", "target_modules", "routing_strategy", "init_lora_weights"));
        String[][] keys = {{"r", "r"}, {"lora_alpha", "alpha"}, {"lora_dropout", "dropout"}, {"num_experts", "experts"}, {"top_k", "top_k"},
                {"router_aux_loss_coef", "balance_coef"}, {"task_embedding_dim", "task_embedding_dim"}};
        for (String[] k : keys) {
            if (e.has(k[0]) && defaults.has(k[1])) {
                adapter.set(k[1], e.get(k[0]));
                used.add(k[0]);
            }
        }
        training(e, root, out, where);
        JsonNode tm = e.get("target_modules");
        if (tm != null) {
            List<String> targets = targets(tm);
            if (defaults.has("targets")) {
                adapter.set("targets", out.arrayNode().addAll(targets.stream().map(out::textNode).toList()));
            } else {
                used.remove("target_modules");
            }
        }
        List<String> ignored = new ArrayList<>();
        e.fieldNames().forEachRemaining(f -> {
            if (!used.contains(f)) {
                ignored.add(f);
            }
        });
        if (!ignored.isEmpty()) {
            System.err.println(where + ": MoE-PEFT fields not used by method '" + method + "': " + String.join(", ", ignored));
        }
        return TrainConfig.fromJson(out, where);
    }

    /** The protocol fields: rate, batch and its micro-batches, epochs, length, schedule. */
    private static void training(JsonNode e, JsonNode root, ObjectNode out, String where) {
        copy(e, "lr", out, "lr");
        copy(e, "batch_size", out, "batchSize");
        copy(e, "num_epochs", out, "epochs");
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
    }

    /** The entry's tasks ({@code task_name}, separated by ';'), without the reference's {@code glue:} prefix. */
    private static List<String> tasks(JsonNode e, String where) {
        String tasks = e.path("task_name").asText("");
        if (tasks.isBlank()) {
            throw new MooreException(where + ": lora[0] has no 'task_name' (tasks separated by ';')");
        }
        List<String> names = new ArrayList<>();
        for (String t : tasks.split(";")) {
            names.add(t.strip().replaceFirst("^glue:", ""));
        }
        return names;
    }

    /** {@code target_modules} as a list, or as a mapping of module to true/false. */
    private static List<String> targets(JsonNode tm) {
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
        return targets;
    }

    /** Our method for the reference's adapter type. */
    private static String method(JsonNode e, String where) {
        String strategy = e.path("routing_strategy").asText("");
        if (strategy.isEmpty()) {
            String init = e.path("init_lora_weights").asText("");
            return switch (init) {
                case "pissa", "milora" -> init;
                default -> "lora";
            };
        }
        String name = switch (strategy) {
            case "mtllora", "mtl_lora" -> "mtl-lora";
            default -> strategy;
        };
        // every method of the registry that is an adapter in MoE-PEFT's sense (not heads only, not full fine-tuning)
        List<String> adapters = Methods.all().stream().filter(x -> x.kind() == Method.Kind.ADAPTER || x.kind() == Method.Kind.MIXTURE)
                .map(Method::name).toList();
        if (!adapters.contains(name)) {
            throw new MooreException(where + ": lora[0].routing_strategy '" + strategy + "' names no method of moore4j (" + String.join(", ", adapters)
                    + "; none = lora)");
        }
        return name;
    }

    private static void copy(JsonNode from, String key, ObjectNode to, String field) {
        if (from.has(key)) {
            to.set(field, from.get(key));
        }
    }
}
