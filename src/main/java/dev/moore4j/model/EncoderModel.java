package dev.moore4j.model;

import ai.djl.ndarray.NDArray;

import dev.moore4j.tokenizer.TextTokenizer;

import java.util.List;

/** A model family that encodes text into token states (BERT and its kin): what task heads and embeddings are built on. */
public interface EncoderModel extends TransformerModel {
    /**
     * Last hidden state [B, S, D] for token ids [B, S] (int64), attention mask [B, S] (1 = token, 0 = padding) and
     * token types [B, S] (or null for all zeros).
     */
    NDArray forward(NDArray ids, NDArray mask, NDArray types, ForwardContext ctx);

    /** Mean-pooled, L2-normalised embeddings of texts, one forward pass. */
    float[][] embed(TextTokenizer tok, List<String> texts, ForwardContext ctx);
}
