package dev.moore4j.model.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.tokenizer.ChatTemplate;
import dev.moore4j.tokenizer.Llama2cTokenizer;
import dev.moore4j.tokenizer.TextTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a decoder checkpoint says about conversations and ends, beside its weights: the chat template and the BOS
 * and EOS texts of {@code tokenizer_config.json} (or {@code chat_template.jinja}), and the token ids that end a
 * generation ({@code eos_token_id} of {@code config.json} and {@code generation_config.json}, one id or a list).
 */
final class DecoderFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DecoderFiles() {}

    /** The directory's chat template, or null when it has none. */
    static ChatTemplate chatTemplate(Path dir) {
        Path cfgFile = dir.resolve("tokenizer_config.json");
        JsonNode cfg = Files.isRegularFile(cfgFile) ? read(cfgFile) : JSON.createObjectNode();
        Path jinja = dir.resolve("chat_template.jinja");
        String template = null;
        String source = null;
        if (Files.isRegularFile(jinja)) {
            try {
                template = Files.readString(jinja);
                source = jinja.toString();
            } catch (IOException e) {
                throw new MooreException(jinja + ": cannot read: " + e.getMessage());
            }
        } else {
            JsonNode t = cfg.get("chat_template");
            source = cfgFile + ": field 'chat_template'";
            if (t != null && t.isTextual()) {
                template = t.asText();
            } else if (t != null && t.isArray()) { // named templates: the one called "default"
                for (JsonNode named : t) {
                    if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                        template = named.get("template").asText();
                    }
                }
            } else if (t != null && !t.isNull()) {
                throw new MooreException(source + " must be a string or a list of {name, template}");
            }
        }
        return template == null ? null : new ChatTemplate(template, token(cfg, "bos_token"), token(cfg, "eos_token"), source);
    }

    /** A special token's text: a string, or an added-token object with {@code content}. */
    private static String token(JsonNode cfg, String field) {
        JsonNode t = cfg.get(field);
        return t == null || t.isNull() ? "" : t.isTextual() ? t.asText() : t.path("content").asText("");
    }

    /** The ids that end a generation: the configs' {@code eos_token_id}s, the template's EOS text when it is one token, llama2.c's BOS and EOS. */
    static Set<Long> endTokens(Path dir, TextTokenizer tok, ChatTemplate template) {
        Set<Long> out = new LinkedHashSet<>();
        for (String f : new String[] {"config.json", "generation_config.json"}) {
            Path p = dir.resolve(f);
            if (Files.isRegularFile(p)) {
                JsonNode id = read(p).get("eos_token_id");
                if (id != null && id.isIntegralNumber()) {
                    out.add(id.asLong());
                } else if (id != null && id.isArray()) {
                    id.forEach(x -> out.add(x.asLong()));
                }
            }
        }
        if (template != null && !template.eosToken().isEmpty()) {
            long[] ids = tok.encodeRaw(template.eosToken());
            if (ids.length == 1) {
                out.add(ids[0]);
            }
        }
        if (tok instanceof Llama2cTokenizer) {
            out.add((long) Llama2cTokenizer.BOS);
            out.add((long) Llama2cTokenizer.EOS);
        }
        return Set.copyOf(out);
    }

    private static JsonNode read(Path p) {
        try {
            JsonNode n = JSON.readTree(p.toFile());
            if (n == null || !n.isObject()) {
                throw new MooreException(p + ": not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new MooreException(p + ": cannot read: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
