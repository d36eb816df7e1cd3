package dev.moore4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.DecodeLoop;

import io.javalin.Javalin;
import io.javalin.http.Context;

import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP server of {@code moore serve}, on Javalin (Jetty): OpenAI-style {@code /v1/embeddings} and
 * {@code /v1/completions} and {@code /v1/chat/completions} (streamed as server-sent events on request), {@code /v1/predict}
 * for the adapter's task heads, {@code /v1/models}, {@code /health} and Prometheus {@code /metrics}.
 *
 * <p>Requests are validated on the HTTP threads (every refusal is a 4xx naming the field), then queued
 * for the one model thread of the {@link Batcher}, which runs concurrent requests of different tasks as
 * one forward pass; a decoder's completions join the {@link DecodeLoop}'s running batch instead. Closing drains:
 * new requests get 503 while queued work finishes.
 */
public final class Server implements AutoCloseable {
    /**
     * How the server listens, batches, decodes and limits, in named groups; {@link #DEFAULTS} holds every default, and a
     * caller changes one group: {@code Options.DEFAULTS.with(new Listen("127.0.0.1", 0))}.
     */
    public record Options(Listen listen, Batching batching, Limits limits, DecodeLoop.Options decode) {
        public Options(Listen listen, Batching batching, Limits limits) {
            this(listen, batching, limits, DecodeLoop.Options.DEFAULT);
        }

        public record Listen(String host, int port) {
            public static final Listen DEFAULT = new Listen("127.0.0.1", 8080);
        }

        /**
         * Whether concurrent requests of one kind share a forward pass, how long the first waits for company, the tokens of
         * one batch and the requests that may wait.
         */
        public record Batching(boolean enabled, int maxWaitMicros, int maxBatchTokens, int queueLimit) {
            public static final Batching DEFAULT = new Batching(true, 2000, 8192, 1024);
        }

        /**
         * Per request: inputs, body bytes, the time to an answer and the completion tokens it may ask for; at shutdown, how
         * long requests in flight may finish.
         */
        public record Limits(int maxInputs, int maxBodyBytes, long timeoutMillis, int maxCompletionTokens, long drainMillis) {
            public static final Limits DEFAULT = new Limits(256, 1 << 20, 30_000, 1024, 10_000);
        }

        public static final Options DEFAULTS = new Options(Listen.DEFAULT, Batching.DEFAULT, Limits.DEFAULT);

        public Options with(Listen l) {
            return new Options(l, batching, limits, decode);
        }

        public Options with(Batching b) {
            return new Options(listen, b, limits, decode);
        }

        public Options with(Limits l) {
            return new Options(listen, batching, l, decode);
        }

        /** With batching on, a decoder's completions decode together: at most this many sequences, this much key/value memory. */
        public Options with(DecodeLoop.Options d) {
            return new Options(listen, batching, limits, d);
        }
    }

    private final AdaptedModel model;
    private final Options options;
    private final Batcher batcher;
    private final ServeMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final DecodeLoop decodes;
    private final Javalin app;
    private volatile boolean draining;

    private Server(AdaptedModel model, Options options) {
        this.model = model;
        this.options = options;
        this.metrics = new ServeMetrics(this::queueDepth, inFlight::get);
        this.batcher = new Batcher(model, options.batching(),
                metrics);
        this.decodes = options.batching().enabled() && !model.isEncoder() ? new DecodeLoop(model, options.decode()) : null;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.host = options.listen().host();
            config.jetty.port = options.listen().port();
            config.jetty.threadPool = new QueuedThreadPool(512, 8, 60_000);
            config.http.maxRequestSize = Math.max(options.limits().maxBodyBytes() * 4L, 1 << 20); // we answer 413 ourselves, with the JSON error
            config.routes.get("/health", ctx -> handle(ctx, "/health", this::health));
            config.routes.get("/metrics", ctx -> {
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render());
            });
            Serving serving = new Serving(model, options, batcher, decodes);
            Endpoint models = new ModelsEndpoint(serving);
            config.routes.get(models.path(), ctx -> handle(ctx, models.path(), models::answer));
            for (Endpoint e : List.<Endpoint>of(new EmbeddingsEndpoint(serving), new PredictEndpoint(serving), new CompletionsEndpoint(serving),
                    new ChatCompletionsEndpoint(serving))) {
                config.routes.post(e.path(), ctx -> handle(ctx, e.path(), e::answer));
            }
            config.routes.error(404, "*", ctx -> {
                if (!ctx.path().startsWith("/v1/") && !ctx.path().equals("/")) {
                    return;
                }
                ctx.contentType("application/json").result(Requests.error(404, null, "no such endpoint: " + ctx.method() + " " + ctx.path()).toString());
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
        return "http://" + options.listen().host() + ":" + port();
    }

    private void handle(Context ctx, String endpoint, Handler e) {
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
            send(ctx, status, Requests.error(status, x.param, x.getMessage()));
        } catch (MooreException x) {
            status = 400;
            send(ctx, 400, Requests.error(400, paramOf(x.getMessage()), x.getMessage()));
        } catch (Exception x) {
            status = 500;
            System.err.println("serve: " + endpoint + ": internal error: " + x);
            send(ctx, 500, Requests.error(500, null, "internal error: " + x.getClass().getSimpleName()));
        } finally {
            metrics.request(endpoint, status, (System.nanoTime() - t0) / 1e9); // counted before closing may see it done
            if (accepted) {
                inFlight.decrementAndGet();
            }
        }
    }

    /** What a route answers: a JSON body (status 200), or null when it wrote the response itself. */
    private interface Handler {
        JsonNode answer(Context ctx) throws Exception;
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

    private JsonNode health(Context ctx) {
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("status", draining ? "draining" : "ok");
        n.put("model", model.name());
        n.put("queue_depth", batcher.queueDepth());
        if (draining) {
            throw new ApiException(503, null, "server shutting down");
        }
        return n;
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
        long deadline = System.currentTimeMillis() + options.limits().drainMillis();
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
        if (decodes != null) {
            decodes.close();
        }
    }

    /** The JSON of a map (for callers building requests). */
    public static String json(Map<String, ?> value) {
        try {
            return Requests.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
