package dev.moore4j.api;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;

import java.util.ArrayList;
import java.util.List;

/**
 * An adapted encoder as a langchain4j {@link EmbeddingModel}: drop it into embedding stores and RAG
 * pipelines unchanged. Every segment is routed as one task (or task-free when the task is null).
 *
 * <pre>{@code
 * EmbeddingModel em = new MooreEmbeddingModel(AdaptedModel.open(dir), "stsb");
 * Embedding e = em.embed("a sentence").content();
 * }</pre>
 *
 * Segments go through in batches of {@code batchSize}. Closing the embedding model does not close the
 * {@link AdaptedModel}: the caller that opened it owns it.
 */
public final class MooreEmbeddingModel implements EmbeddingModel {
    private final AdaptedModel model;
    private final String task;
    private final int batchSize;

    public MooreEmbeddingModel(AdaptedModel model, String task) {
        this(model, task, 32);
    }

    public MooreEmbeddingModel(AdaptedModel model, String task, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (task != null) {
            model.task(task); // fails now, naming the adapter's tasks, rather than at the first embedding
        }
        this.model = model;
        this.task = task;
        this.batchSize = batchSize;
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        List<Embedding> out = new ArrayList<>(segments.size());
        int tokens = 0;
        for (int from = 0; from < segments.size(); from += batchSize) {
            List<String> texts = segments.subList(from, Math.min(segments.size(), from + batchSize)).stream().map(TextSegment::text).toList();
            for (float[] v : model.embed(texts, task)) {
                out.add(Embedding.from(v));
            }
            for (String t : texts) {
                tokens += model.countTokens(t, null);
            }
        }
        return Response.from(out, new TokenUsage(tokens));
    }

    @Override
    public int dimension() {
        return model.dimension();
    }

    @Override
    public String modelName() {
        return task == null ? model.name() : model.name() + "#" + task;
    }
}
