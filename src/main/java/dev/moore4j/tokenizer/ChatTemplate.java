package dev.moore4j.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import dev.moore4j.MooreException;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A checkpoint's own chat template ({@code chat_template} of {@code tokenizer_config.json}, or
 * {@code chat_template.jinja}), rendered as Hugging Face's {@code apply_chat_template} renders it: Jinja with
 * {@code trim_blocks} and {@code lstrip_blocks}, the variables {@code messages}, {@code add_generation_prompt},
 * {@code bos_token} and {@code eos_token}, and the functions {@code raise_exception} and {@code strftime_now}.
 * The rendered text already holds the special tokens the template writes, so it is tokenized without adding any.
 */
public final class ChatTemplate {
    /** One turn of a conversation: {@code system}, {@code user}, {@code assistant} (or whatever roles the template knows). */
    public record Message(String role, String content) {}

    private static final Jinjava JINJA = jinja();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final String source;

    /**
     * @param template the Jinja text
     * @param bosToken the text of the tokenizer's BOS token ("" when it has none)
     * @param eosToken the text of its EOS token ("" when it has none)
     * @param source   where the template came from, for errors
     */
    public ChatTemplate(String template, String bosToken, String eosToken, String source) {
        this.template = stripAroundDashes(template);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.source = source;
    }

    public String eosToken() {
        return eosToken;
    }

    public String source() {
        return source;
    }

    private static final java.util.regex.Pattern BEFORE = java.util.regex.Pattern.compile("\\s*(\\{[{%])-");
    private static final java.util.regex.Pattern AFTER = java.util.regex.Pattern.compile("-([}%]\\})\\s*");

    /**
     * Jinja's whitespace control, applied to the text before Jinjava sees it: a tag opened with {@code -} eats the
     * whitespace before it, one closed with {@code -} the whitespace after. Jinjava ignores the dash on expression tags
     * ({@code {{- x }}}, which every ChatML template uses), so it is done here for both kinds, as Jinja does it.
     */
    static String stripAroundDashes(String t) {
        return AFTER.matcher(BEFORE.matcher(t).replaceAll("$1")).replaceAll("$1");
    }

    /** The message of the last {@code raise_exception} on this thread (Jinjava reports only that the function failed). */
    private static final ThreadLocal<String> REFUSAL = new ThreadLocal<>();

    private static Jinjava jinja() {
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        return j;
    }

    /** The template's {@code raise_exception(message)}: the conversation is one the template refuses. */
    public static String raiseException(String message) {
        REFUSAL.set(message);
        throw new TemplateRefusal(message);
    }

    /** The template's {@code strftime_now(format)} (Llama 3.1 dates its system prompt), for the common C directives. */
    public static String strftimeNow(String format) {
        StringBuilder java = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                java.append(c == '\'' ? "''" : c == '%' ? "%" : "'" + c + "'");
                continue;
            }
            char d = format.charAt(++i);
            java.append(switch (d) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                default -> "'%" + d + "'";
            });
        }
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern(java.toString(), Locale.ENGLISH));
    }

    /** Thrown by {@code raise_exception}; its message is the template's. */
    static final class TemplateRefusal extends RuntimeException {
        TemplateRefusal(String message) {
            super(message);
        }
    }

    /**
     * The prompt for a conversation; {@code addGenerationPrompt} appends what opens the assistant's turn. A conversation the
     * template refuses, or a template that does not render, is a {@link MooreException} naming the template's source.
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> ms = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            ms.add(o);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", ms);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        REFUSAL.remove();
        RenderResult r;
        try {
            r = JINJA.renderForResult(template, vars);
        } catch (TemplateRefusal e) {
            throw new MooreException("chat template refuses the conversation: " + e.getMessage());
        }
        String refused = REFUSAL.get();
        REFUSAL.remove();
        if (refused != null) {
            throw new MooreException("chat template refuses the conversation: " + refused);
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new MooreException(source + ": chat template does not render: " + e.getMessage());
            }
        }
        return r.getOutput();
    }
}
