package dev.moore4j.model.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moore4j.MooreException;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.tokenizer.ChatTemplate;
import dev.moore4j.tokenizer.Llama2cTokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/** tokenizer_config.json and the configs' end tokens, in the forms Hugging Face writes them. */
class DecoderFilesTest {
    static final java.util.List<ChatTemplate.Message> CONV = java.util.List.of(new ChatTemplate.Message("user", "hi"),
            new ChatTemplate.Message("assistant", "yes"), new ChatTemplate.Message("user", "more"));

    @Test
    void namedTemplatesAddedTokenObjectsAndEndTokenLists(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}]}
                """);
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": [7, 9]}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 11}");
        var t = DecoderFiles.chatTemplate(dir);
        assertThat(t.render(CONV, true)).isEqualTo("<s>hi</s>");
        var tok = Llama2cTokenizer.load(SharedPaths.models().resolve("stories260K/tok512.bin"), 512);
        assertThat(DecoderFiles.endTokens(dir, tok, t)).contains(7L, 9L, 11L, (long) Llama2cTokenizer.BOS, (long) Llama2cTokenizer.EOS);
    }

    @Test
    void aTemplateFileBesideTheConfigWinsAndABadFieldIsNamed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}{{ m.role }}{% endfor %}");
        assertThat(DecoderFiles.chatTemplate(dir).render(CONV, false)).isEqualTo("userassistantuser");
        Files.delete(dir.resolve("chat_template.jinja"));
        assertThat(DecoderFiles.chatTemplate(dir)).isNull();
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 3}");
        assertThatThrownBy(() -> DecoderFiles.chatTemplate(dir)).isInstanceOf(MooreException.class)
                .hasMessageContaining("tokenizer_config.json: field 'chat_template' must be a string");
    }
}
