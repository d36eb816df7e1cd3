package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.tokenizer.ChatTemplate;

import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/chat/completions}, OpenAI-style, for a decoder with a chat template: the conversation is rendered by
 * the checkpoint's own template, answered whole or streamed as server-sent events, {@code n} answers (decoded together,
 * each its own seed: {@code seed + i}), {@code stop} strings beside the model's end tokens, {@code logprobs} of the chosen tokens, and
 * {@code task} routing as on {@code /v1/completions}.
 */
final class ChatCompletionsEndpoint extends Endpoint {
    /** Most answers one request may ask for. */
    static final int MAX_N = 8;

    ChatCompletionsEndpoint(Serving serving) {
        super("/v1/chat/completions", serving);
    }

    /** What a request asks for, read and checked before any work. */
    private record Request(List<ChatTemplate.Message> messages, AdaptedModel.GenerateOptions options, int n, String task, String name,
                           boolean stream, boolean streamUsage) {}

    @Override
    JsonNode answer(Context ctx) throws Exception {
        JsonNode body = serving.body(ctx);
        if (model.isEncoder()) {
            throw new ApiException(400, "model", "model " + model.name() + " is an encoder: chat completions need a decoder");
        }
        if (model.chatTemplate().isEmpty()) {
            throw new ApiException(400, "messages", "model " + model.name() + " has no chat template (no chat_template in its tokenizer_config.json, "
                    + "no chat_template.jinja): use /v1/completions with a prompt");
        }
        Request r = read(body);
        long[] ids;
        try {
            ids = model.chatIds(r.messages());
        } catch (MooreException e) {
            throw new ApiException(400, "messages", e.getMessage());
        }
        if (ids.length >= model.maxTokens()) {
            throw new ApiException(413, "messages", ids.length + " tokens once rendered; the model's context is " + model.maxTokens());
        }
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        if (r.stream()) {
            stream(ctx, id, r, ids);
            return null;
        }
        List<AdaptedModel.Completion> answers = serving.await(answers(r, ids, null));
        ObjectNode root = envelope(id, r.name(), "chat.completion");
        ArrayNode choices = root.putArray("choices");
        int completion = 0;
        for (AdaptedModel.Completion c : answers) {
            ObjectNode choice = choices.addObject();
            choice.put("index", choices.size() - 1);
            choice.putObject("message").put("role", "assistant").put("content", c.text());
            logprobs(choice, c);
            choice.put("finish_reason", c.finishReason());
            completion += c.completionTokens();
        }
        usage(root, ids.length, completion);
        return root;
    }

    private Request read(JsonNode body) {
        for (String unsupported : List.of("tools", "functions", "tool_choice", "function_call", "logit_bias", "audio")) {
            JsonNode v = body.get(unsupported);
            if (v != null && !v.isNull() && !(v.isArray() && v.isEmpty())) {
                throw new ApiException(400, unsupported, "not supported by this server");
            }
        }
        if (body.path("top_logprobs").asInt(0) > 0) {
            throw new ApiException(400, "top_logprobs", "not supported: logprobs gives the chosen tokens' only");
        }
        int limit = Math.min(options.limits().maxCompletionTokens(), model.maxTokens());
        int maxTokens = Requests.intField(body, body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", limit, 1, limit);
        JsonNode lp = body.get("logprobs");
        if (lp != null && !lp.isNull() && !lp.isBoolean()) {
            throw new ApiException(400, "logprobs", "must be true or false");
        }
        AdaptedModel.GenerateOptions go = Sampling.read(body, maxTokens, lp != null && lp.asBoolean());
        int n = Requests.intField(body, "n", 1, 1, MAX_N);
        return new Request(messages(body.get("messages")), go, n, serving.optionalTask(body), body.path("model").asText(model.name()),
                body.path("stream").asBoolean(false), body.path("stream_options").path("include_usage").asBoolean(false));
    }

    /** {@code messages}: objects with a {@code role} and a {@code content} (a string, or a list of text parts). */
    static List<ChatTemplate.Message> messages(JsonNode ms) {
        if (ms == null || !ms.isArray() || ms.isEmpty()) {
            throw new ApiException(400, "messages", ms == null ? "missing" : "must be a non-empty array of {role, content}");
        }
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String f = "messages[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) {
                throw new ApiException(400, f, "must be an object");
            }
            String role = Requests.string(m, f + ".role", true);
            JsonNode c = m.get("content");
            StringBuilder text = new StringBuilder();
            if (c != null && c.isTextual()) {
                text.append(c.asText());
            } else if (c != null && c.isArray()) {
                for (int k = 0; k < c.size(); k++) {
                    JsonNode part = c.get(k);
                    if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                        throw new ApiException(400, f + ".content[" + k + "]", "only text parts ({type: text, text}) are supported");
                    }
                    text.append(part.get("text").asText());
                }
            } else if (c != null && !c.isNull()) {
                throw new ApiException(400, f + ".content", "must be a string or a list of text parts");
            }
            out.add(new ChatTemplate.Message(role, text.toString()));
        }
        return out;
    }

    /** The request's n answers, queued together (with batching on they decode in one batch), each streamed to {@code events} when given. */
    private List<CompletableFuture<AdaptedModel.Completion>> answers(Request r, long[] ids, EventStream events) {
        List<CompletableFuture<AdaptedModel.Completion>> out = new ArrayList<>();
        for (int i = 0; i < r.n(); i++) {
            out.add(serving.complete(ids, r.options().withSeed(r.options().seed() + i), r.task(), events == null ? null : events.sink(i)));
        }
        return out;
    }

    private void stream(Context ctx, String id, Request r, long[] ids) throws InterruptedException {
        EventStream events = new EventStream();
        List<String> first = new ArrayList<>();
        for (int i = 0; i < r.n(); i++) {
            first.add(chunk(id, r.name(), i, Requests.JSON.createObjectNode().put("role", "assistant").put("content", ""), null).toString());
        }
        events.pump(ctx, serving, answers(r, ids, events), first,
                p -> chunk(id, r.name(), p.choice(), Requests.JSON.createObjectNode().put("content", p.text()), null).toString(), results -> {
                    List<String> last = new ArrayList<>();
                    int completion = 0;
                    int prompt = 0;
                    for (int i = 0; i < results.size(); i++) {
                        AdaptedModel.Completion c = results.get(i);
                        ObjectNode done = chunk(id, r.name(), i, Requests.JSON.createObjectNode(), c.finishReason());
                        logprobs((ObjectNode) done.get("choices").get(0), c);
                        last.add(done.toString());
                        completion += c.completionTokens();
                        prompt = c.promptTokens();
                    }
                    if (r.streamUsage()) { // OpenAI's closing chunk: no choices, the request's usage
                        ObjectNode u = envelope(id, r.name(), "chat.completion.chunk");
                        u.putArray("choices");
                        usage(u, prompt, completion);
                        last.add(u.toString());
                    }
                    return last;
                });
    }

    private static ObjectNode envelope(String id, String name, String object) {
        ObjectNode root = Requests.JSON.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", name);
        return root;
    }

    private static ObjectNode chunk(String id, String name, int index, ObjectNode delta, String finish) {
        ObjectNode root = envelope(id, name, "chat.completion.chunk");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", index);
        choice.set("delta", delta);
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return root;
    }

    /** OpenAI's {@code logprobs.content}: each chosen token with its log-probability (and no alternatives); null when not asked. */
    private static void logprobs(ObjectNode choice, AdaptedModel.Completion c) {
        if (c.logprobs() == null) {
            choice.putNull("logprobs");
            return;
        }
        ArrayNode content = choice.putObject("logprobs").putArray("content");
        for (AdaptedModel.TokenLogprob t : c.logprobs()) {
            ObjectNode o = content.addObject();
            o.put("token", t.token());
            o.put("logprob", t.logprob());
            ArrayNode bytes = o.putArray("bytes");
            for (byte b : t.token().getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                bytes.add(b & 0xff);
            }
            o.putArray("top_logprobs");
        }
    }

    private static void usage(ObjectNode root, int prompt, int completion) {
        root.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }
}
