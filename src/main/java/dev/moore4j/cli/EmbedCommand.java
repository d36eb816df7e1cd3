package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "embed", description = "Sentence embeddings (mean-pooled, L2-normalised) from an encoder, or from an adapted encoder routed by task.")
final class EmbedCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Option(names = "--task", description = "With --adapter: the task whose id routes the adapter (default: task-free, the mean task embedding).")
    String task;

    @Parameters(arity = "1..*", paramLabel = "[MODEL] TEXT", description = "Encoder model (minilm, bge-small, e5-small or an HF BERT directory), "
            + "unless --adapter or --model is given; then the texts to embed.")
    List<String> args;

    @Override
    public void run() {
        if (!source.hasAdapter() && task != null) {
            throw new MooreException("embed: --task needs --adapter");
        }
        boolean modelArgument = !source.hasAdapter() && source.model == null;
        if (modelArgument && args.size() < 2) {
            throw new MooreException("embed: give a model and at least one text (or --adapter DIR and texts)");
        }
        String argument = modelArgument ? args.get(0) : null;
        List<String> texts = modelArgument ? args.subList(1, args.size()) : args;
        try (AdaptedModel m = source.open(common, argument, "embed")) {
            if (task != null) {
                m.task(task); // unknown task: one line naming the adapter's tasks
            }
            float[][] e = m.embed(texts, task);
            if (common.json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", source.describe(argument));
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
