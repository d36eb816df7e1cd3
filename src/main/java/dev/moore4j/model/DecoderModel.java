package dev.moore4j.model;

import dev.moore4j.io.HostTensor;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** A model family that predicts the next token (Llama and its kin): what completions, chat and decoder tasks are built on. */
public interface DecoderModel extends TransformerModel {
    /**
     * How to pick tokens: greedy at temperature 0, else sampled with nucleus {@code topP} from a generator seeded with
     * {@code seed}; a token of {@code endTokens} ends the generation (it is not part of the text).
     */
    record Sampling(int maxTokens, float temperature, float topP, long seed, Set<Long> endTokens) {
        public Sampling {
            endTokens = Set.copyOf(endTokens);
        }

        public Sampling(int maxTokens, float temperature, float topP, long seed) {
            this(maxTokens, temperature, topP, seed, Set.of());
        }
    }

    /** Why a generation ended: an end token, or the caller's sink, said so; or the token budget (or the context) ran out. */
    enum Finish {
        STOP, LENGTH;

        /** OpenAI's {@code finish_reason}. */
        public String reason() {
            return this == STOP ? "stop" : "length";
        }
    }

    /** Receives each generated token as it is decoded, with its log-probability under the model; false ends the generation. */
    @FunctionalInterface
    interface TokenSink {
        boolean accept(long token, String piece, float logprob);
    }

    /** Generates after the prompt's ids, handing each token to {@code sink}. */
    Finish generate(TextTokenizer tok, long[] promptIds, Sampling sampling, ForwardContext ctx, TokenSink sink);

    /** Generates after the prompt (returned with it); {@code onText} (may be null) receives each piece as it is decoded. */
    default String generate(TextTokenizer tok, String prompt, Sampling sampling, ForwardContext ctx, Consumer<String> onText) {
        long[] ids = tok.encode(prompt);
        StringBuilder text = new StringBuilder(tok.decode(ids));
        generate(tok, ids, sampling, ctx, (token, piece, logprob) -> {
            text.append(piece);
            if (onText != null) {
                onText.accept(piece);
            }
            return true;
        });
        return text.toString();
    }

    /**
     * Sequences decoded together, one token each per {@link #step}: a sequence joins with its prompt (prefilled alone,
     * then its keys and values become a row of the batch's cache) and leaves when it is done, while the others go on.
     * Each row routes by its own task id ({@link ForwardContext#MEAN_TASK}: task-free).
     */
    interface Batch extends AutoCloseable {
        /** Prefills a sequence and adds it as the last row; returns its next-token logits. */
        float[] add(long[] promptIds, int taskId);

        /** One token for every row (in row order); returns each row's next-token logits. */
        float[][] step(long[] tokens);

        /** Removes a row; the rows after it move up by one. */
        void remove(int row);

        /** Rows now. */
        int size();

        /** Cached positions of a row (its prompt and the tokens it has decoded). */
        int length(int row);

        @Override
        void close();
    }

    /** A new, empty batch. */
    Batch newBatch();

    /** Bytes of keys and values one cached position takes (all layers), for admitting sequences to a batch. */
    long kvBytesPerPosition();

    /** The weights under Hugging Face names, adapted layers merged where they fold into one weight. */
    Map<String, HostTensor> exportWeights();
}
