package dev.moore4j.api;

import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One completion's text as its tokens come: the caller's stop strings end it, each piece sure to stay goes to
 * {@code onText}, log-probabilities on request. The same whether the tokens come from one sequence's generation or
 * from a row of a batch ({@link DecodeLoop}).
 */
final class Completions implements DecoderModel.TokenSink {
    private final AdaptedModel.GenerateOptions options;
    private final Consumer<String> onText;
    private final StopStrings stops;
    private final List<AdaptedModel.TokenLogprob> logprobs;
    private int count;

    Completions(AdaptedModel.GenerateOptions options, Consumer<String> onText) {
        this.options = options;
        this.onText = onText;
        this.stops = new StopStrings(options.stop());
        this.logprobs = options.logprobs() ? new ArrayList<>() : null;
    }

    /** The decoder's sampling for these options, ending at {@code endTokens}. */
    DecoderModel.Sampling sampling(Set<Long> endTokens) {
        return new DecoderModel.Sampling(options.maxTokens(), options.temperature(), options.topP(), options.seed(), endTokens);
    }

    @Override
    public boolean accept(long token, String piece, float logprob) {
        count++;
        if (logprobs != null) {
            logprobs.add(new AdaptedModel.TokenLogprob(piece, logprob));
        }
        emit(stops.add(piece));
        return !stops.stopped();
    }

    private void emit(String text) {
        if (onText != null && !text.isEmpty()) {
            onText.accept(text);
        }
    }

    /** The completion, once its generation has ended as {@code finish} says. */
    AdaptedModel.Completion done(DecoderModel.Finish finish, int promptTokens) {
        emit(stops.flush());
        return new AdaptedModel.Completion(stops.text(), promptTokens, count, finish.reason(), logprobs);
    }

    /** A whole completion of one sequence, generated alone. */
    static AdaptedModel.Completion run(DecoderModel decoder, TextTokenizer tok, long[] promptIds, AdaptedModel.GenerateOptions o, ForwardContext ctx,
                                       Set<Long> endTokens, Consumer<String> onText) {
        Completions c = new Completions(o, onText);
        return c.done(decoder.generate(tok, promptIds, c.sampling(endTokens), ctx, c), promptIds.length);
    }
}
