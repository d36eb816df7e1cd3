package dev.moore4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Parameters(arity = "0..*", paramLabel = "[MODEL] TEXT", description = "Encoder model (minilm, bge-small, e5-small or an HF BERT directory), "
            + "unless --adapter or --model is given; then the texts to embed.")
    List<String> args = new ArrayList<>();

    @Option(names = "--input", paramLabel = "FILE", description = "Also embed the texts of FILE: one per line, or JSON Lines (.jsonl) with a "
            + "\"text\" field; embedded in batches, in file order, after the texts given as arguments.")
    Path input;

    @Override
    public void run() {
        if (!source.hasAdapter() && task != null) {
            throw new MooreException("embed: --task needs --adapter");
        }
        boolean modelArgument = !source.hasAdapter() && source.model == null;
        if (modelArgument && args.isEmpty()) {
            throw new MooreException("embed: give a model and at least one text (or --adapter DIR and texts)");
        }
        String argument = modelArgument ? args.get(0) : null;
        List<String> texts = new ArrayList<>(modelArgument ? args.subList(1, args.size()) : args);
        if (input != null) {
            texts.addAll(readTexts(input));
        }
        if (texts.isEmpty()) {
            throw new MooreException("embed: no texts (give them as arguments or with --input FILE)");
        }
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
                if (input != null && texts.size() > 20 && i == 10) {
                    System.out.printf("… %d more …%n", texts.size() - 10);
                    break;
                }
                StringBuilder sb = new StringBuilder();
                for (int j = 0; j < Math.min(6, e[i].length); j++) {
                    sb.append(String.format("%+.4f ", e[i][j]));
                }
                System.out.printf("[%d dims] %s… %s%n", e[i].length, sb, texts.get(i));
            }
        }
    }

    /** The texts of a file: one per line, or the "text" field of each JSON line (.jsonl); blank lines are skipped. */
    static List<String> readTexts(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new MooreException(file + ": cannot read: " + e.getMessage());
        }
        boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank()) {
                continue;
            }
            if (!jsonl) {
                out.add(l);
                continue;
            }
            try {
                JsonNode t = Common.JSON.readTree(l).path("text");
                if (!t.isTextual() || t.asText().isEmpty()) {
                    throw new MooreException(file + ":" + (i + 1) + ": no non-empty \"text\" field");
                }
                out.add(t.asText());
            } catch (JsonProcessingException e) {
                throw new MooreException(file + ":" + (i + 1) + ": not JSON: " + e.getOriginalMessage());
            }
        }
        return out;
    }
}
