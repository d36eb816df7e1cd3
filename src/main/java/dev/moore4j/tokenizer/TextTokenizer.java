package dev.moore4j.tokenizer;

/** Text to token ids and back, with the special tokens the model was trained with. */
public interface TextTokenizer extends AutoCloseable {
    /** Ids of one text, with the model's special tokens ([CLS] … [SEP] for BERT, BOS for Llama). */
    long[] encode(String text);

    /** Ids of a text that already holds its special tokens as text (a rendered chat template): none are added. */
    default long[] encodeRaw(String text) {
        return encode(text);
    }

    /** Ids of a sentence pair (BERT: [CLS] a [SEP] b [SEP]); token types via {@link #pairTypes}. */
    default long[] encodePair(String a, String b) {
        throw new UnsupportedOperationException("this tokenizer has no sentence-pair form");
    }

    /** Token type of each id of {@link #encodePair}. */
    default long[] pairTypes(String a, String b) {
        return new long[encodePair(a, b).length];
    }

    String decode(long[] ids);

    /** Tokens of the text (or pair, when {@code b} is not null), or -1 when the tokenizer had to cut it at its maximum length. */
    default int countWithin(String a, String b) {
        return (b == null ? encode(a) : encodePair(a, b)).length;
    }

    /** Decodes one token as it continues a stream (for printing generation as it goes). */
    default String decodeNext(long previous, long token) {
        return decode(new long[] {token});
    }

    int vocabSize();

    @Override
    default void close() {}
}
