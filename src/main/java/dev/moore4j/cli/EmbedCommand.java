package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "embed", description = "Sentence embeddings (mean-pooled, L2-normalised) from an encoder, or from an adapted encoder routed by task.")
final class EmbedCommand implements Runnable {
    @Mixin
    Common common;

    @Option(names = "--adapter", description = "Adapter checkpoint directory (then every argument is a text).")
    Path adapter;

    @Option(names = "--task", description = "With --adapter: the task whose id routes the adapter (default: task-free, the mean task embedding).")
    String task;

    @Parameters(arity = "1..*", paramLabel = "[MODEL] TEXT", description = "Encoder model (minilm, bge-small, e5-small or an HF BERT directory), "
            + "unless --adapter is given; then the texts to embed.")
    List<String> args;

    @Override
    public void run() {
        if (adapter == null && task != null) {
            throw new MooreException("embed: --task needs --adapter");
        }
        if (adapter == null && args.size() < 2) {
            throw new MooreException("embed: give a model and at least one text (or --adapter DIR and texts)");
        }
        String model = adapter == null ? args.get(0) : adapter.toString();
        List<String> texts = adapter == null ? args.subList(1, args.size()) : args;
        try (AdaptedModel m = adapter != null ? AdaptedModel.open(adapter, common.threads()) : AdaptedModel.base(model, common.threads())) {
            if (task != null) {
                m.task(task); // unknown task: one line naming the adapter's tasks
            }
            float[][] e = m.embed(texts, task);
            if (common.json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", model);
                if (task != null) {
                    out.put("task", task);
                }
                out.put("dim", e[0].length);
                out.put("embeddings", e);
                common.printJson(out);
                return;
            }
            for (int i = 0; i < texts.size(); i++) {
                StringBuilder sb = new StringBuilder();
                for (int j = 0; j < Math.min(6, e[i].length); j++) {
                    sb.append(String.format("%+.4f ", e[i][j]));
                }
                System.out.printf("[%d dims] %s… %s%n", e[i].length, sb, texts.get(i));
            }
        }
    }
}
