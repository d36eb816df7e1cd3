package dev.moore4j.model;

import ai.djl.ndarray.NDScope;

import dev.moore4j.tokenizer.TextTokenizer;

import java.util.List;

/**
 * Whole-model outputs on a fixed batch of sentences (last hidden states for encoders, logits for
 * decoders), used to check that an adapted model still computes what the base model did.
 */
public final class Probe {
    public static final List<String> SENTENCES = List.of(
            "Zoo",
            "The cat sat on the mat.",
            "A man is playing a guitar on the street while people walk by.",
            "Once upon a time, there was a little girl named Lily who loved to play outside in the sunshine with her friends.",
            "Yes.",
            "How many singular values does a 384 by 1536 matrix have?",
            "She went to the park, and then she went home to eat dinner with her mother and father and her little brother Tim.",
            "Multi-task adaptation without forgetting.");

    private Probe() {}

    /** Flattened fp32 outputs (padding positions excluded for encoders): {@link TransformerModel#probeOutputs}. */
    public static float[] outputs(TransformerModel model, TextTokenizer tok, ForwardContext ctx) {
        try (NDScope scope = new NDScope()) {
            return model.probeOutputs(tok, ctx);
        }
    }

    /** max |a − b| / max |b|. */
    public static double maxRelDiff(float[] a, float[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }
}
