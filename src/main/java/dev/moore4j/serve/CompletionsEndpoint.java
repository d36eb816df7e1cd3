package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.api.AdaptedModel;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code POST /v1/completions}, OpenAI-style, for a decoder: one prompt, whole or streamed as server-sent events. */
final class CompletionsEndpoint extends Endpoint {
    CompletionsEndpoint(Serving serving) {
        super("/v1/completions", serving);
    }

    @Override
    JsonNode answer(Context ctx) throws Exception {
        JsonNode body = serving.body(ctx);
        if (model.isEncoder()) {
            throw new ApiException(400, "model", "model " + model.name() + " is an encoder: completions need a decoder");
        }
        for (String unsupported : List.of("suffix", "logprobs", "echo", "stop", "best_of", "logit_bias")) {
            JsonNode v = body.get(unsupported);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean())) {
                throw new ApiException(400, unsupported, "not supported by this server");
            }
        }
        if (body.has("n") && body.get("n").asInt(1) != 1) {
            throw new ApiException(400, "n", "only n = 1 is supported");
        }
        JsonNode pn = body.get("prompt");
        String prompt;
        if (pn != null && pn.isArray() && pn.size() == 1 && pn.get(0).isTextual()) {
            prompt = pn.get(0).asText();
        } else if (pn != null && pn.isTextual()) {
            prompt = pn.asText();
        } else {
            throw new ApiException(400, "prompt", pn == null ? "missing" : "must be a string (or an array of one string)");
        }
        if (prompt.isEmpty()) {
            throw new ApiException(400, "prompt", "empty string");
        }
        int maxTokens = Requests.intField(body, "max_tokens", 16, 1, options.maxCompletionTokens());
        float temperature = (float) Requests.numberField(body, "temperature", 1.0, 0, 2);
        float topP = (float) Requests.numberField(body, "top_p", 1.0, 1e-6, 1);
        long seed = body.has("seed") && !body.get("seed").isNull() ? Requests.longField(body, "seed") : 0;
        String task = serving.optionalTask(body);
        int promptTokens = model.countTokens(prompt, null);
        if (promptTokens >= model.maxTokens()) {
            throw new ApiException(413, "prompt", promptTokens + " tokens; the model's context is " + model.maxTokens());
        }
        AdaptedModel.GenerateOptions go = new AdaptedModel.GenerateOptions(maxTokens, temperature, topP, seed);
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        String name = body.path("model").asText(model.name());
        boolean stream = body.path("stream").asBoolean(false);
        if (!stream) {
            AdaptedModel.Completion c = (AdaptedModel.Completion) serving.await(Batcher.Job.solo(() -> model.generate(prompt, go, task, null))).get(0);
            ObjectNode root = completionChunk(id, name, c.text(), c.finishReason());
            Requests.usage(root, c.promptTokens(), c.completionTokens());
            return root;
        }
        stream(ctx, id, name, prompt, go, task);
        return null;
    }

    ObjectNode completionChunk(String id, String name, String text, String finish) {
        ObjectNode root = Requests.JSON.createObjectNode();
        root.put("id", id);
        root.put("object", "text_completion");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", name);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", 0);
        choice.putNull("logprobs");
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return root;
    }

    /** Server-sent events: a chunk per decoded piece, a last chunk with the finish reason and usage, then [DONE]. */
    void stream(Context ctx, String id, String name, String prompt, AdaptedModel.GenerateOptions go, String task) throws Exception {
        LinkedBlockingQueue<String> pieces = new LinkedBlockingQueue<>();
        AtomicBoolean gone = new AtomicBoolean();
        Batcher.Job job = Batcher.Job.solo(() -> model.generate(prompt, go, task, piece -> {
            if (gone.get()) {
                throw new CancellationException("client went away");
            }
            pieces.add(piece);
        }));
        if (!serving.batcher().submit(job)) {
            throw new ApiException(429, null, "queue full (" + options.queueLimit() + " requests waiting): retry later");
        }
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        long deadline = System.currentTimeMillis() + options.timeoutMillis();
        try {
            while (true) {
                String piece = pieces.poll(20, TimeUnit.MILLISECONDS);
                if (piece != null) {
                    event(out, completionChunk(id, name, piece, null).toString());
                } else if (job.result.isDone() && pieces.isEmpty()) {
                    break;
                } else if (System.currentTimeMillis() > deadline) {
                    gone.set(true);
                    event(out, Requests.error(503, null, "request timed out after " + options.timeoutMillis() + " ms").toString());
                    return;
                }
            }
            AdaptedModel.Completion c = (AdaptedModel.Completion) job.result.get().get(0);
            ObjectNode last = completionChunk(id, name, "", c.finishReason());
            Requests.usage(last, c.promptTokens(), c.completionTokens());
            event(out, last.toString());
            event(out, "[DONE]");
        } catch (IOException e) {
            gone.set(true); // the client hung up: stop generating for it
        } catch (ExecutionException e) {
            event(out, Requests.error(500, null, "generation failed: " + e.getCause()).toString());
        }
    }

    void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
