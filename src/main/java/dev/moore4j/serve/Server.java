package dev.moore4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;

import io.javalin.Javalin;
import io.javalin.http.Context;

import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP server of {@code moore serve}, on Javalin (Jetty): OpenAI-style {@code /v1/embeddings} and
 * {@code /v1/completions} (streamed as server-sent events on request), {@code /v1/predict} for the
 * adapter's task heads, {@code /v1/models}, {@code /health} and Prometheus {@code /metrics}.
 *
 * <p>Requests are validated on the HTTP threads (every refusal is a 4xx naming the field), then queued
 * for the one model thread of the {@link Batcher}, which runs concurrent requests of different tasks as
 * one forward pass. Closing drains: new requests get 503 while queued work finishes.
 */
public final class Server implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param maxInputs           inputs per request at most (413 beyond)
     * @param maxBodyBytes        request body size at most (413 beyond)
     * @param timeoutMillis       a request not answered by then gets 503
     * @param maxCompletionTokens {@code max_tokens} at most
     * @param drainMillis         how long closing waits for queued work
     */
    public record Options(String host, int port, boolean batching, int maxWaitMicros, int maxBatchTokens, int queueLimit, int maxInputs,
                          int maxBodyBytes, long timeoutMillis, int maxCompletionTokens, long drainMillis) {
        public static Options defaults() {
            return new Options("127.0.0.1", 8080, true, 2000, 8192, 1024, 256, 1 << 20, 30_000, 1024, 10_000);
        }

        public Options withPort(int p) {
            return new Options(host, p, batching, maxWaitMicros, maxBatchTokens, queueLimit, maxInputs, maxBodyBytes, timeoutMillis, maxCompletionTokens,
                    drainMillis);
        }

        public Options withBatching(boolean on) {
            return new Options(host, port, on, maxWaitMicros, maxBatchTokens, queueLimit, maxInputs, maxBodyBytes, timeoutMillis, maxCompletionTokens,
                    drainMillis);
        }

        public Options withQueueLimit(int limit) {
            return new Options(host, port, batching, maxWaitMicros, maxBatchTokens, limit, maxInputs, maxBodyBytes, timeoutMillis, maxCompletionTokens,
                    drainMillis);
        }
    }

    private final AdaptedModel model;
    private final Options options;
    private final Batcher batcher;
    private final ServeMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Javalin app;
    private volatile boolean draining;

    private Server(AdaptedModel model, Options options) {
        this.model = model;
        this.options = options;
        this.metrics = new ServeMetrics(this::queueDepth, inFlight::get);
        this.batcher = new Batcher(model, new Batcher.Options(options.batching(), options.maxWaitMicros(), options.maxBatchTokens(), options.queueLimit()),
                metrics);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.jetty.threadPool = new QueuedThreadPool(512, 8, 60_000);
            config.http.maxRequestSize = Math.max(options.maxBodyBytes() * 4L, 1 << 20); // we answer 413 ourselves, with the JSON error
            config.routes.get("/health", ctx -> handle(ctx, "/health", this::health));
            config.routes.get("/v1/models", ctx -> handle(ctx, "/v1/models", c -> models()));
            config.routes.get("/metrics", ctx -> {
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render());
            });
            config.routes.post("/v1/embeddings", ctx -> handle(ctx, "/v1/embeddings", this::embeddings));
            config.routes.post("/v1/predict", ctx -> handle(ctx, "/v1/predict", this::predict));
            config.routes.post("/v1/completions", ctx -> handle(ctx, "/v1/completions", this::completions));
            config.routes.error(404, "*", ctx -> {
                if (!ctx.path().startsWith("/v1/") && !ctx.path().equals("/")) {
                    return;
                }
                ctx.contentType("application/json").result(error(404, null, "no such endpoint: " + ctx.method() + " " + ctx.path()).toString());
            });
        });
        app.start();
    }

    private int queueDepth() {
        return batcher == null ? 0 : batcher.queueDepth();
    }

    /** Starts a server on a model (port 0: any free port). */
    public static Server start(AdaptedModel model, Options options) {
        return new Server(model, options);
    }

    public int port() {
        return app.port();
    }

    public String baseUrl() {
        return "http://" + options.host() + ":" + port();
    }

    /** What a handler answers: a JSON body (status 200), or null when it wrote the response itself. */
    private interface Endpoint {
        JsonNode answer(Context ctx) throws Exception;
    }

    private void handle(Context ctx, String endpoint, Endpoint e) {
        long t0 = System.nanoTime();
        boolean accepted = admit(endpoint);
        int status = 200;
        try {
            if (!accepted) {
                throw new ApiException(503, null, "server shutting down");
            }
            JsonNode out = e.answer(ctx);
            if (out != null) {
                send(ctx, 200, out);
            }
        } catch (ApiException x) {
            status = x.status;
            if (status == 429 || status == 503) {
                ctx.header("Retry-After", "1");
            }
            send(ctx, status, error(status, x.param, x.getMessage()));
        } catch (MooreException x) {
            status = 400;
            send(ctx, 400, error(400, paramOf(x.getMessage()), x.getMessage()));
        } catch (Exception x) {
            status = 500;
            System.err.println("serve: " + endpoint + ": internal error: " + x);
            send(ctx, 500, error(500, null, "internal error: " + x.getClass().getSimpleName()));
        } finally {
            if (accepted) {
                inFlight.decrementAndGet();
            }
            metrics.request(endpoint, status, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Counts a request in, unless the server is draining: a request counted in is one that closing waits for. */
    private synchronized boolean admit(String endpoint) {
        if (draining && !endpoint.equals("/health")) {
            return false;
        }
        inFlight.incrementAndGet();
        return true;
    }

    /**
     * Writes the whole JSON response before the handler returns, so that a request counted as answered
     * really is (a draining shutdown waits for exactly these).
     */
    private static void send(Context ctx, int status, JsonNode body) {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        ctx.status(status);
        ctx.res().setContentType("application/json");
        ctx.res().setContentLength(bytes.length);
        try (OutputStream out = ctx.res().getOutputStream()) {
            out.write(bytes);
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }

    /** The field a model-side message is about: "task" for an unknown task, else the message's leading field name. */
    private static String paramOf(String message) {
        if (message.startsWith("unknown task")) {
            return "task";
        }
        int colon = message.indexOf(':');
        return colon > 0 && message.substring(0, colon).matches("[a-z_\\[\\]0-9.]+") ? message.substring(0, colon) : null;
    }

    private static ObjectNode error(int status, String param, String message) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error");
        if (param == null) {
            e.putNull("param");
        } else {
            e.put("param", param);
        }
        e.put("code", status);
        return root;
    }

    private JsonNode body(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > options.maxBodyBytes()) {
            throw new ApiException(413, null, "request body of " + bytes.length + " bytes exceeds the limit of " + options.maxBodyBytes());
        }
        if (bytes.length == 0) {
            throw new ApiException(400, null, "empty request body: send a JSON object");
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new ApiException(400, null, "request body is not a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new ApiException(400, null, "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiException(400, null, "unreadable request body: " + e.getMessage());
        }
    }

    private JsonNode health(Context ctx) {
        ObjectNode n = JSON.createObjectNode();
        n.put("status", draining ? "draining" : "ok");
        n.put("model", model.name());
        n.put("queue_depth", batcher.queueDepth());
        if (draining) {
            throw new ApiException(503, null, "server shutting down");
        }
        return n;
    }

    private JsonNode models() {
        ObjectNode root = JSON.createObjectNode();
        root.put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", model.name());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "moore4j");
        m.put("kind", model.isEncoder() ? "encoder" : "decoder");
        m.put("family", model.model().family());
        ArrayNode endpoints = m.putArray("endpoints");
        if (model.isEncoder()) {
            endpoints.add("/v1/embeddings");
        } else {
            endpoints.add("/v1/completions");
        }
        if (!model.tasks().isEmpty()) {
            endpoints.add("/v1/predict");
        }
        ArrayNode tasks = m.putArray("tasks");
        for (AdaptedModel.TaskInfo t : model.tasks()) {
            ObjectNode tn = tasks.addObject();
            tn.put("name", t.name());
            tn.put("kind", t.kind());
            tn.set("labels", JSON.valueToTree(t.labels()));
        }
        return root;
    }

    // ---- /v1/embeddings ----

    private JsonNode embeddings(Context ctx) throws Exception {
        JsonNode body = body(ctx);
        if (!model.isEncoder()) {
            throw new ApiException(400, "model", "model " + model.name() + " is a decoder: embeddings need an encoder");
        }
        String task = optionalTask(body);
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) {
            throw new ApiException(400, "input", "missing: give a string or an array of strings");
        }
        List<String> texts = new ArrayList<>();
        if (input.isTextual()) {
            texts.add(input.asText());
        } else if (input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                if (!input.get(i).isTextual()) {
                    throw new ApiException(400, "input[" + i + "]", "not a string (token arrays are not supported: send text)");
                }
                texts.add(input.get(i).asText());
            }
        } else {
            throw new ApiException(400, "input", "must be a string or an array of strings");
        }
        if (texts.isEmpty()) {
            throw new ApiException(400, "input", "empty array");
        }
        if (texts.size() > options.maxInputs()) {
            throw new ApiException(413, "input", texts.size() + " inputs; at most " + options.maxInputs() + " per request");
        }
        String format = body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw new ApiException(400, "encoding_format", "must be 'float' or 'base64', got '" + format + "'");
        }
        if (body.has("dimensions") && !body.get("dimensions").isNull() && body.get("dimensions").asInt() != model.dimension()) {
            throw new ApiException(400, "dimensions", "this model embeds in " + model.dimension() + " dimensions only");
        }
        List<Batcher.EmbedItem> items = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            String field = input.isArray() ? "input[" + i + "]" : "input";
            if (t.isEmpty()) {
                throw new ApiException(400, field, "empty string");
            }
            tokens += checkTokens(field, t, null);
            items.add(new Batcher.EmbedItem(t, task));
        }
        List<?> out = await(Batcher.Job.embed(items, tokens));
        ObjectNode root = JSON.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < out.size(); i++) {
            float[] v = (float[]) out.get(i);
            ObjectNode d = data.addObject();
            d.put("object", "embedding");
            d.put("index", i);
            if (format.equals("base64")) {
                ByteBuffer buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    buf.putFloat(f);
                }
                d.put("embedding", Base64.getEncoder().encodeToString(buf.array()));
            } else {
                ArrayNode a = d.putArray("embedding");
                for (float f : v) {
                    a.add(f);
                }
            }
        }
        root.put("model", body.path("model").asText(model.name()));
        usage(root, tokens, 0);
        return root;
    }

    /** The optional top-level "task": a string naming one of the adapter's tasks. */
    private String optionalTask(JsonNode body) {
        JsonNode t = body.get("task");
        if (t == null || t.isNull()) {
            return null;
        }
        if (!t.isTextual()) {
            throw new ApiException(400, "task", "must be a string");
        }
        try {
            model.task(t.asText());
        } catch (MooreException e) {
            throw new ApiException(400, "task", e.getMessage());
        }
        return t.asText();
    }

    /** Tokens of a sequence, refused when longer than the model takes. */
    private int checkTokens(String field, String text, String pair) {
        int n = model.countTokensWithin(text, pair);
        if (n < 0) {
            throw new ApiException(413, field, "longer than the model's " + model.maxTokens() + " tokens");
        }
        return n;
    }

    private static void usage(ObjectNode root, int prompt, int completion) {
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", prompt);
        if (completion > 0) {
            u.put("completion_tokens", completion);
        }
        u.put("total_tokens", prompt + completion);
    }

    /** Queues a job and waits for it: 429 when the queue is full, 503 on timeout, 400 when the model refuses the input. */
    private List<?> await(Batcher.Job job) throws InterruptedException {
        if (!batcher.submit(job)) {
            throw new ApiException(429, null, "queue full (" + options.queueLimit() + " requests waiting): retry later");
        }
        try {
            return job.result.get(options.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            job.result.cancel(false); // the model thread skips it
            throw new ApiException(503, null, "request timed out after " + options.timeoutMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ApiException a) {
                throw a;
            }
            if (c instanceof MooreException m) {
                throw m;
            }
            throw new IllegalStateException(c);
        }
    }

    // ---- /v1/predict ----

    private JsonNode predict(Context ctx) throws Exception {
        JsonNode body = body(ctx);
        if (model.tasks().isEmpty()) {
            throw new ApiException(400, "task", "model " + model.name() + " has no tasks (started with --model, not --adapter)");
        }
        JsonNode tn = body.get("task");
        if (tn == null || !tn.isTextual()) {
            throw new ApiException(400, "task", tn == null ? "missing" : "must be a string");
        }
        String task = optionalTask(body);
        TaskSpec spec = model.task(task);
        JsonNode inputs = body.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw new ApiException(400, "inputs", inputs == null ? "missing: give an array of inputs" : "must be an array");
        }
        if (inputs.isEmpty()) {
            throw new ApiException(400, "inputs", "empty array");
        }
        if (inputs.size() > options.maxInputs()) {
            throw new ApiException(413, "inputs", inputs.size() + " inputs; at most " + options.maxInputs() + " per request");
        }
        List<AdaptedModel.Input> items = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String f = "inputs[" + i + "]";
            JsonNode in = inputs.get(i);
            if (!in.isObject()) {
                throw new ApiException(400, f, "must be an object");
            }
            if (spec.kind() == TaskKind.MULTIPLE_CHOICE) {
                String q = string(in, f + ".question", true);
                JsonNode ch = in.get("choices");
                if (ch == null || !ch.isArray() || ch.size() < 2) {
                    throw new ApiException(400, f + ".choices", "task '" + task + "' is multiple choice: give an array of at least two choices");
                }
                if (in.has("text")) {
                    throw new ApiException(400, f + ".text", "task '" + task + "' is multiple choice: give 'question' and 'choices'");
                }
                List<String> choices = new ArrayList<>();
                for (int c = 0; c < ch.size(); c++) {
                    if (!ch.get(c).isTextual() || ch.get(c).asText().isEmpty()) {
                        throw new ApiException(400, f + ".choices[" + c + "]", "must be a non-empty string");
                    }
                    choices.add(ch.get(c).asText());
                    tokens += checkTokens(f + ".choices[" + c + "]", q, ch.get(c).asText());
                }
                items.add(AdaptedModel.Input.choice(task, q, choices));
            } else {
                if (in.has("choices") || in.has("question")) {
                    throw new ApiException(400, f + (in.has("choices") ? ".choices" : ".question"), "task '" + task + "' is " + spec.kind().label()
                            + ": give 'text' (and optionally 'pair')");
                }
                String text = string(in, f + ".text", true);
                String pair = string(in, f + ".pair", false);
                tokens += checkTokens(f, text, pair);
                items.add(AdaptedModel.Input.pair(task, text, pair));
            }
        }
        List<?> out = await(Batcher.Job.predict(items, tokens));
        ObjectNode root = JSON.createObjectNode();
        root.put("object", "list");
        root.put("model", model.name());
        root.put("task", task);
        ArrayNode data = root.putArray("predictions");
        for (int i = 0; i < out.size(); i++) {
            AdaptedModel.Prediction p = (AdaptedModel.Prediction) out.get(i);
            ObjectNode d = data.addObject();
            d.put("index", i);
            if (p.label() != null) {
                d.put("label", p.label());
                d.set("probabilities", JSON.valueToTree(p.probabilities()));
            } else if (p.value() != null) {
                d.put("value", p.value());
            } else {
                d.put("choice", p.choice());
                d.put("choice_index", p.index());
                d.set("scores", JSON.valueToTree(p.scores()));
            }
        }
        usage(root, tokens, 0);
        return root;
    }

    /** A string field of an object: refused when of another type, or missing/empty where required. */
    private static String string(JsonNode obj, String field, boolean required) {
        String name = field.substring(field.lastIndexOf('.') + 1);
        JsonNode v = obj.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ApiException(400, field, "missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new ApiException(400, field, "must be a string");
        }
        if (v.asText().isEmpty()) {
            throw new ApiException(400, field, "empty string");
        }
        return v.asText();
    }

    // ---- /v1/completions ----

    private JsonNode completions(Context ctx) throws Exception {
        JsonNode body = body(ctx);
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
        int maxTokens = intField(body, "max_tokens", 16, 1, options.maxCompletionTokens());
        float temperature = (float) numberField(body, "temperature", 1.0, 0, 2);
        float topP = (float) numberField(body, "top_p", 1.0, 1e-6, 1);
        long seed = body.has("seed") && !body.get("seed").isNull() ? longField(body, "seed") : 0;
        String task = optionalTask(body);
        int promptTokens = model.countTokens(prompt, null);
        if (promptTokens >= model.maxTokens()) {
            throw new ApiException(413, "prompt", promptTokens + " tokens; the model's context is " + model.maxTokens());
        }
        AdaptedModel.GenerateOptions go = new AdaptedModel.GenerateOptions(maxTokens, temperature, topP, seed);
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        String name = body.path("model").asText(model.name());
        boolean stream = body.path("stream").asBoolean(false);
        if (!stream) {
            AdaptedModel.Completion c = (AdaptedModel.Completion) await(Batcher.Job.solo(() -> model.generate(prompt, go, task, null))).get(0);
            ObjectNode root = completionChunk(id, name, c.text(), c.finishReason());
            usage(root, c.promptTokens(), c.completionTokens());
            return root;
        }
        stream(ctx, id, name, prompt, go, task);
        return null;
    }

    private ObjectNode completionChunk(String id, String name, String text, String finish) {
        ObjectNode root = JSON.createObjectNode();
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
    private void stream(Context ctx, String id, String name, String prompt, AdaptedModel.GenerateOptions go, String task) throws Exception {
        LinkedBlockingQueue<String> pieces = new LinkedBlockingQueue<>();
        AtomicBoolean gone = new AtomicBoolean();
        Batcher.Job job = Batcher.Job.solo(() -> model.generate(prompt, go, task, piece -> {
            if (gone.get()) {
                throw new CancellationException("client went away");
            }
            pieces.add(piece);
        }));
        if (!batcher.submit(job)) {
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
                    event(out, error(503, null, "request timed out after " + options.timeoutMillis() + " ms").toString());
                    return;
                }
            }
            AdaptedModel.Completion c = (AdaptedModel.Completion) job.result.get().get(0);
            ObjectNode last = completionChunk(id, name, "", c.finishReason());
            usage(last, c.promptTokens(), c.completionTokens());
            event(out, last.toString());
            event(out, "[DONE]");
        } catch (IOException e) {
            gone.set(true); // the client hung up: stop generating for it
        } catch (ExecutionException e) {
            event(out, error(500, null, "generation failed: " + e.getCause()).toString());
        }
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static int intField(JsonNode body, String f, int dflt, int min, int max) {
        JsonNode v = body.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber()) {
            throw new ApiException(400, f, "must be an integer");
        }
        long x = v.asLong();
        if (x < min || x > max) {
            throw new ApiException(400, f, "must be in [" + min + ", " + max + "], got " + x);
        }
        return (int) x;
    }

    private static long longField(JsonNode body, String f) {
        JsonNode v = body.get(f);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new ApiException(400, f, "must be an integer");
        }
        return v.asLong();
    }

    private static double numberField(JsonNode body, String f, double dflt, double min, double max) {
        JsonNode v = body.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new ApiException(400, f, "must be a number");
        }
        double x = v.asDouble();
        if (!(x >= min && x <= max)) {
            throw new ApiException(400, f, "must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    /** Counters, for tests and the benchmark. */
    long answered(int status) {
        return metrics.requestCount(status);
    }

    public String metricsText() {
        return metrics.render();
    }

    /** Stops taking requests (503), lets queued and running work finish, then stops. */
    @Override
    public void close() {
        synchronized (this) {
            draining = true; // from now on, requests are refused; those admitted before run to the end
        }
        long deadline = System.currentTimeMillis() + options.drainMillis();
        while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        batcher.drain(Math.max(0, deadline - System.currentTimeMillis()));
        app.stop();
        batcher.close();
    }

    /** The JSON of a map (for callers building requests). */
    public static String json(Map<String, ?> value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
