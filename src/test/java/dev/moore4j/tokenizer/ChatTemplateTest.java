package dev.moore4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moore4j.MooreException;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Chat templates rendered as Hugging Face renders them. The expected texts are Python Jinja2's (3.1.6, trim_blocks and
 * lstrip_blocks, as {@code apply_chat_template} sets them) for the same templates and conversations, pasted here.
 */
class ChatTemplateTest {
    static final List<ChatTemplate.Message> CONV = List.of(new ChatTemplate.Message("system", "be kind"), new ChatTemplate.Message("user", "  hi there "),
            new ChatTemplate.Message("assistant", "hello"), new ChatTemplate.Message("user", "a story"));
    static final List<ChatTemplate.Message> CONV2 = List.of(new ChatTemplate.Message("user", "hi"), new ChatTemplate.Message("assistant", "yes"),
            new ChatTemplate.Message("user", "more"));

    static ChatTemplate template(String name) {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat/" + name + ".jinja")) {
            return new ChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8), "<s>", "</s>", name);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void blockTagsOnTheirOwnLinesLeaveNoBlankLinesAsWithTrimAndLstripBlocks() {
        ChatTemplate t = template("blocks");
        assertThat(t.render(CONV, true)).isEqualTo("[be kind]\nuser:   hi there \nassistant: hello\nuser: a story\nassistant:");
        assertThat(t.render(CONV, false)).isEqualTo("[be kind]\nuser:   hi there \nassistant: hello\nuser: a story\n");
        assertThat(t.render(CONV2, true)).isEqualTo("user: hi\nassistant: yes\nuser: more\nassistant:");
    }

    @Test
    void chatMlWithWhitespaceControlAndLoopFirst() {
        ChatTemplate t = template("chatml");
        assertThat(t.render(CONV, true)).isEqualTo("<|im_start|>system\nbe kind<|im_end|>\n<|im_start|>user\n  hi there <|im_end|>\n<|im_start|>assistant\n"
                + "hello<|im_end|>\n<|im_start|>user\na story<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.render(CONV2, false)).isEqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                + "<|im_start|>assistant\nyes<|im_end|>\n<|im_start|>user\nmore<|im_end|>\n");
    }

    @Test
    void llama3WithBosTokenSetAndTrimFilter() {
        ChatTemplate t = template("llama3");
        assertThat(t.render(CONV, true)).isEqualTo("<s><|start_header_id|>system<|end_header_id|>\n\nbe kind<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                + "hi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nhello<|eot_id|><|start_header_id|>user<|end_header_id|>\n\na story"
                + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(t.render(CONV2, false)).isEqualTo("<s><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant"
                + "<|end_header_id|>\n\nyes<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nmore<|eot_id|>");
    }

    @Test
    void mistralsInlineIfAndEosTokenAndItsRaiseException() {
        ChatTemplate t = template("mistral");
        assertThat(t.render(CONV2, true)).isEqualTo("[INST] hi [/INST]yes</s>[INST] more [/INST]");
        assertThatThrownBy(() -> t.render(CONV, true)).isInstanceOf(MooreException.class)
                .hasMessage("chat template refuses the conversation: Conversation roles must start with user");
    }

    @Test
    void aTemplateThatDoesNotParseNamesItsSource() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m.content }}", "", "", "my/tokenizer_config.json: field 'chat_template'");
        assertThatThrownBy(() -> t.render(CONV2, true)).isInstanceOf(MooreException.class)
                .hasMessageStartingWith("my/tokenizer_config.json: field 'chat_template': chat template does not render");
    }

    @Test
    void strftimeNowFormatsTheDirectivesLlama31Uses() {
        assertThat(ChatTemplate.strftimeNow("%d %b %Y")).matches("\\d\\d [A-Z][a-z]{2} \\d{4}");
        assertThat(ChatTemplate.strftimeNow("%Y-%m-%d")).matches("\\d{4}-\\d\\d-\\d\\d");
    }
}
