package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.bert.Embedder;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "embed", description = "Sentence embeddings (mean-pooled, L2-normalised) from an encoder.")
final class EmbedCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", description = "Encoder model (minilm, bge-small, e5-small or an HF BERT directory).")
    String model;

    @Parameters(index = "1..*", arity = "1..*", description = "Texts to embed.")
    List<String> texts;

    @Override
    public void run() {
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m)) {
            if (!(loaded.model() instanceof BertModel bert)) {
                throw new MooreException(model + ": embed needs an encoder (BERT family), this is a " + loaded.model().family() + " model");
            }
            float[][] e = Embedder.embed(bert, loaded.tokenizer(), texts, ForwardContext.inference());
            if (common.json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", model);
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
