package dev.moore4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.engine.Engines;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.tokenizer.ChatTemplate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code /v1/chat/completions} on stories260K with a chat template beside it (tokenizer_config.json): langchain4j's
 * OpenAI clients, plain and streaming, get exactly the completion of the prompt the template renders; stop strings, n,
 * logprobs; a model without a template gets a 400 that says so.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ChatServeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static AdaptedModel model;
    static Server server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path m = dir.resolve("stories-chat");
        Files.createDirectories(m);
        for (String f : List.of("stories260K.bin", "tok512.bin")) {
            Files.copy(SharedPaths.models().resolve("stories260K").resolve(f), m.resolve(f));
        }
        String template;
        try (InputStream in = ChatServeTest.class.getResourceAsStream("/chat/blocks.jinja")) {
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.writeString(m.resolve("tokenizer_config.json"), JSON.writeValueAsString(java.util.Map.of("chat_template", template, "eos_token", "</s>")));
        model = AdaptedModel.base(m.toString(), Engines.defaultThreads());
        server = Server.start(model, ServeTest.options(true, 2000, 64));
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    /** The oracle: the same text through the completions path, from the prompt the template renders. */
    static String completionOf(String prompt, int maxTokens) {
        return model.generate(prompt, AdaptedModel.GenerateOptions.greedy(maxTokens), null, null).text();
    }

    @Test
    void langchain4jsChatClientGetsTheCompletionOfTheRenderedPrompt() {
        assertThat(model.chatPrompt(List.of(new ChatTemplate.Message("user", "Once upon a time")))).isEqualTo("user: Once upon a time\nassistant:");
        String want = completionOf("user: Once upon a time\nassistant:", 24);
        assertThat(want).isNotBlank();
        OpenAiChatModel client = OpenAiChatModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("not-needed").modelName("stories")
                .temperature(0.0).maxTokens(24).timeout(Duration.ofMinutes(2)).build();
        assertThat(client.chat("Once upon a time")).isEqualTo(want);
    }

    @Test
    void langchain4jsStreamingClientGetsTheSameTextPieceByPiece() throws Exception {
        String want = completionOf("user: Once upon a time\nassistant:", 24);
        OpenAiStreamingChatModel client = OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("not-needed").modelName("stories")
                .temperature(0.0).maxTokens(24).timeout(Duration.ofMinutes(2)).build();
        StringBuilder pieces = new StringBuilder();
        int[] count = {0};
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        client.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
                count[0]++;
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(2, TimeUnit.MINUTES);
        assertThat(pieces.toString()).isEqualTo(want);
        assertThat(r.aiMessage().text()).isEqualTo(want);
        assertThat(count[0]).isGreaterThan(5); // as it is generated, not one blob
    }

    JsonNode post(String body, int status) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions")).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    @Test
    void stopStringsNAndLogprobs() throws Exception {
        String prompt = "user: Once upon a time\nassistant:";
        String full = completionOf(prompt, 40);
        int dot = full.indexOf('.');
        assertThat(dot).as(full).isPositive();
        String msg = "\"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}]";
        JsonNode stopped = post("{" + msg + ", \"max_tokens\": 40, \"temperature\": 0, \"stop\": \".\"}", 200);
        JsonNode c = stopped.get("choices").get(0);
        assertThat(c.get("message").get("content").asText()).isEqualTo(full.substring(0, dot));
        assertThat(c.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(c.get("message").get("role").asText()).isEqualTo("assistant");

        JsonNode two = post("{" + msg + ", \"max_tokens\": 12, \"temperature\": 0, \"n\": 2, \"logprobs\": true}", 200);
        assertThat(two.get("object").asText()).isEqualTo("chat.completion");
        assertThat(two.get("choices")).hasSize(2);
        String first = two.get("choices").get(0).get("message").get("content").asText();
        assertThat(first).isEqualTo(completionOf(prompt, 12));
        assertThat(two.get("choices").get(1).get("message").get("content").asText()).isEqualTo(first); // greedy: the same twice
        JsonNode lp = two.get("choices").get(0).get("logprobs").get("content");
        assertThat(lp).hasSize(12);
        StringBuilder joined = new StringBuilder();
        for (JsonNode t : lp) {
            assertThat(t.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            joined.append(t.get("token").asText());
        }
        assertThat(joined.toString()).isEqualTo(first);
        assertThat(two.get("usage").get("completion_tokens").asInt()).isEqualTo(24);
        assertThat(two.get("usage").get("prompt_tokens").asInt()).isEqualTo(model.tokenizer().encodeRaw(prompt).length);

        // sampling is reproducible from the seed, and each of n answers has its own
        String sampled = "{" + msg + ", \"max_tokens\": 16, \"temperature\": 1.0, \"seed\": 3, \"n\": 2}";
        assertThat(post(sampled, 200).get("choices")).isEqualTo(post(sampled, 200).get("choices"));
    }

    @Test
    void badRequestsNameTheirField() throws Exception {
        String[][] bad = {{"{\"max_tokens\": 5}", "messages"}, {"{\"messages\": []}", "messages"}, {"{\"messages\": [{\"content\": \"a\"}]}", "messages[0].role"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": 3}]}", "messages[0].content"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"n\": 9}", "n"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"tools\": [{\"type\": \"function\"}]}", "tools"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}", "stop"}};
        for (String[] b : bad) {
            assertThat(post(b[0], 400).get("error").get("param").asText()).as(b[0]).isEqualTo(b[1]);
        }
    }

    @Test
    void mooreChatConversesInTheTerminalWithTheSameAnswers() {
        String want = completionOf("user: Once upon a time\nassistant:", 24);
        java.io.InputStream old = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("Once upon a time\n/exit\n".getBytes(StandardCharsets.UTF_8)));
            var r = dev.moore4j.TestSupport.cli("chat", dir.resolve("stories-chat").toString(), "--temperature", "0", "--max-tokens", "24");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("> " + want);
        } finally {
            System.setIn(old);
        }
        var plain = dev.moore4j.TestSupport.cli("chat", "stories260K");
        assertThat(plain.code()).isNotZero();
        assertThat(plain.err()).contains("no chat template");
    }

    @Test
    void aModelWithoutAChatTemplateGetsA400ThatSaysSo() throws Exception {
        try (AdaptedModel plain = AdaptedModel.base("stories260K", Engines.defaultThreads()); Server s = Server.start(plain, ServeTest.options(true, 2000, 64))) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).get("error").get("message").asText()).contains("has no chat template");
        }
    }
}
