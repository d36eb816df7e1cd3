package dev.moore4j.model;

import dev.moore4j.tokenizer.Llama2cTokenizer;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.Random;

/**
 * One sequence's decoding, whichever way its logits are computed (alone with its own cache, or as a row of a
 * {@link DecoderModel.Batch}): its sampler and generator, the tokens it may still take, and where they go. The two
 * ways share it, so an answer is the same batched or not.
 */
public final class Decoding {
    private final TextTokenizer tok;
    private final DecoderModel.Sampling sampling;
    private final DecoderModel.TokenSink sink;
    private final Random rnd;
    private final int limit;
    private int taken;
    private long last;
    private DecoderModel.Finish finish;

    /** {@code maxPositions}: the model's context; the prompt and the answer share it. */
    public Decoding(TextTokenizer tok, long[] promptIds, DecoderModel.Sampling sampling, int maxPositions, DecoderModel.TokenSink sink) {
        this.tok = tok;
        this.sampling = sampling;
        this.sink = sink;
        this.rnd = new Random(sampling.seed());
        this.limit = Math.min(sampling.maxTokens(), maxPositions - promptIds.length);
        this.last = promptIds[promptIds.length - 1];
        if (limit <= 0) {
            finish = DecoderModel.Finish.LENGTH;
        }
    }

    /** Whether the sequence has ended; then {@link #finish} says why. */
    public boolean done() {
        return finish != null;
    }

    public DecoderModel.Finish finish() {
        return finish;
    }

    /** The token to feed next (the last one taken). */
    public long last() {
        return last;
    }

    /**
     * Takes the next-token logits after the last fed token: samples, ends at an end token, hands the token to the
     * sink (which may end it too), ends at the budget. Returns whether the sequence goes on.
     */
    public boolean next(float[] logits) {
        long token = Sampler.sample(logits, sampling, rnd);
        boolean end = sampling.endTokens().contains(token)
                || (tok instanceof Llama2cTokenizer && (token == Llama2cTokenizer.BOS || token == Llama2cTokenizer.EOS));
        if (end || !sink.accept(token, tok.decodeNext(last, token), Sampler.logprob(logits, (int) token))) {
            finish = DecoderModel.Finish.STOP;
            return false;
        }
        last = token;
        if (++taken >= limit) {
            finish = DecoderModel.Finish.LENGTH;
            return false;
        }
        return true;
    }
}
