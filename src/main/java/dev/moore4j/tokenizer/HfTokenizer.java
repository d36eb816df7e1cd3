package dev.moore4j.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.moore4j.MooreException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json}, run by DJL's binding of the Rust tokenizers library. */
public final class HfTokenizer implements TextTokenizer {
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
    }

    /** Loads tokenizer.json bytes; {@code source} names the file in errors; {@code maxLength} truncates. */
    public static HfTokenizer load(byte[] json, String source, int maxLength) {
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
                    "padding", "false",
                    "truncation", "true",
                    "maxLength", Integer.toString(maxLength),
                    "addSpecialTokens", "true"));
            int vocab = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("model").path("vocab").size();
            return new HfTokenizer(t, vocab);
        } catch (IOException | RuntimeException e) {
            throw new MooreException(source + ": not a valid tokenizer.json: " + e.getMessage(), e);
        }
    }

    @Override
    public long[] encode(String text) {
        return tokenizer.encode(text).getIds();
    }

    @Override
    public long[] encodePair(String a, String b) {
        return tokenizer.encode(a, b).getIds();
    }

    @Override
    public boolean truncates(String a, String b) {
        return (b == null ? tokenizer.encode(a) : tokenizer.encode(a, b)).exceedMaxLength();
    }

    @Override
    public long[] pairTypes(String a, String b) {
        Encoding e = tokenizer.encode(a, b);
        return e.getTypeIds();
    }

    @Override
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
