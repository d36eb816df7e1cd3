package dev.moore4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** A Hugging Face {@code tokenizer.json}, run by DJL's binding of the Rust tokenizers library. */
public final class HfTokenizer implements TextTokenizer {
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final String source;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, String source) {
        this.source = source;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
    }

    /** Loads tokenizer.json bytes; {@code source} names the file in errors; {@code maxLength} truncates. */
    public static HfTokenizer load(byte[] json, String source, int maxLength) {
        checkForNative(json, source);
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
                    "padding", "false",
                    "truncation", "true",
                    "maxLength", Integer.toString(maxLength),
                    "addSpecialTokens", "true"));
            int vocab = new ObjectMapper().readTree(json).path("model").path("vocab").size();
            return new HfTokenizer(t, vocab, source);
        } catch (IOException | RuntimeException e) {
            throw new MooreException(source + ": not a valid tokenizer.json: " + e.getMessage(), e);
        }
    }

    /** Decoder types the native library knows; any other makes its parser panic, which aborts the JVM. */
    private static final Set<String> DECODERS = Set.of("BPEDecoder", "ByteLevel", "WordPiece", "Metaspace", "CTC", "Sequence",
            "Replace", "Fuse", "Strip", "ByteFallback");

    /**
     * The Rust tokenizers library aborts the process (a panic across JNI) on some malformed files, e.g. JSON
     * cut short inside the decoder section: found by fuzzing. So it only ever sees syntactically valid JSON
     * whose decoder section it can read; everything else is refused here with our own error.
     */
    static void checkForNative(byte[] json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new MooreException(source + ": not a valid tokenizer.json: malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new MooreException(source + ": not a valid tokenizer.json: not a JSON object");
        }
        checkDecoder(root.get("decoder"), source, "decoder");
        checkTemplate(root.get("post_processor"), source, "post_processor");
    }

    /** A template post-processor may only name special tokens it defines (the native library indexes its map blindly). */
    private static void checkTemplate(JsonNode p, String source, String where) {
        if (p == null || !p.isObject()) {
            return;
        }
        if ("Sequence".equals(p.path("type").asText()) && p.path("processors").isArray()) {
            for (int i = 0; i < p.get("processors").size(); i++) {
                checkTemplate(p.get("processors").get(i), source, where + ".processors[" + i + "]");
            }
            return;
        }
        if (!p.has("single") && !p.has("pair")) { // the native parser matches processors by shape, whatever their "type" says
            return;
        }
        JsonNode specials = p.get("special_tokens");
        for (String part : new String[] {"single", "pair"}) {
            for (JsonNode piece : p.path(part)) {
                JsonNode st = piece.get("SpecialToken");
                if (st == null) {
                    continue;
                }
                String id = st.path("id").asText(null);
                JsonNode def = specials == null || id == null ? null : specials.get(id);
                if (def == null || !def.path("ids").isArray() || def.path("ids").isEmpty() || !def.path("tokens").isArray()
                        || def.path("tokens").size() != def.path("ids").size()) {
                    throw new MooreException(source + ": not a valid tokenizer.json: " + where + "." + part + " names special token '" + id
                            + "', which " + where + ".special_tokens does not define (with ids and tokens)");
                }
            }
        }
    }

    private static void checkDecoder(JsonNode d, String source, String where) {
        if (d == null || d.isNull()) {
            return;
        }
        if (!d.isObject() || !d.path("type").isTextual() || !DECODERS.contains(d.get("type").asText())) {
            throw new MooreException(source + ": not a valid tokenizer.json: field '" + where + "' is not a known decoder");
        }
        if (d.get("type").asText().equals("Sequence")) {
            JsonNode list = d.get("decoders");
            if (list == null || !list.isArray()) {
                throw new MooreException(source + ": not a valid tokenizer.json: field '" + where + ".decoders' is not an array");
            }
            for (int i = 0; i < list.size(); i++) {
                checkDecoder(list.get(i), source, where + ".decoders[" + i + "]");
            }
        }
    }

    @Override
    public long[] encode(String text) {
        return callNative(() -> tokenizer.encode(text).getIds());
    }

    @Override
    public long[] encodeRaw(String text) {
        return callNative(() -> tokenizer.encode(text, false, false).getIds());
    }

    /** The native library reports some defects of a tokenizer file only when it is used (found by fuzzing). */
    private <T> T callNative(Supplier<T> call) {
        try {
            return call.get();
        } catch (MooreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new MooreException(source + ": tokenizer failed: " + e.getMessage());
        }
    }

    @Override
    public long[] encodePair(String a, String b) {
        return callNative(() -> tokenizer.encode(a, b).getIds());
    }

    @Override
    public int countWithin(String a, String b) {
        return callNative(() -> {
            var e = b == null ? tokenizer.encode(a) : tokenizer.encode(a, b);
            return e.exceedMaxLength() ? -1 : e.getIds().length;
        });
    }

    @Override
    public long[] pairTypes(String a, String b) {
        return callNative(() -> tokenizer.encode(a, b).getTypeIds());
    }

    @Override
    public String decode(long[] ids) {
        return callNative(() -> tokenizer.decode(ids, true));
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
