package dev.moore4j.model;

import dev.moore4j.io.HostTensor;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.Map;
import java.util.function.Consumer;

/** A model family that predicts the next token (Llama and its kin): what completions, chat and decoder tasks are built on. */
public interface DecoderModel extends TransformerModel {
    /** How to pick tokens: greedy at temperature 0, else sampled with nucleus {@code topP} from a generator seeded with {@code seed}. */
    record Sampling(int maxTokens, float temperature, float topP, long seed) {}

    /** Generates after the prompt (returned with it); {@code onText} (may be null) receives each piece as it is decoded. */
    String generate(TextTokenizer tok, String prompt, Sampling sampling, ForwardContext ctx, Consumer<String> onText);

    /** The weights under Hugging Face names, adapted layers merged where they fold into one weight. */
    Map<String, HostTensor> exportWeights();
}
