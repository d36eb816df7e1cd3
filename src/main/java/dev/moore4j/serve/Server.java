package dev.moore4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;

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
 * {@code /v1/completions} (streamed as server-sent events on request), {@code /v1/predict} for the
 * adapter's task heads, {@code /v1/models}, {@code /health} and Prometheus {@code /metrics}.
 *
 * <p>Requests are validated on the HTTP threads (every refusal is a 4xx naming the field), then queued
 * for the one model thread of the {@link Batcher}, which runs concurrent requests of different tasks as
 * one forward pass. Closing drains: new requests get 503 while queued work finishes.
 */
public final class Server implements AutoCloseable {
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
            return builder().build();
        }

        /** The defaults, to change by name: {@code Options.builder().port(0).batching(false).build()}. */
        public static Builder builder() {
            return new Builder();
        }

        /** The options one by one; unset ones keep their defaults. */
        public static final class Builder {
            private String host = "127.0.0.1";
            private int port = 8080;
            private boolean batching = true;
            private int maxWaitMicros = 2000;
            private int maxBatchTokens = 8192;
            private int queueLimit = 1024;
            private int maxInputs = 256;
            private int maxBodyBytes = 1 << 20;
            private long timeoutMillis = 30_000;
            private int maxCompletionTokens = 1024;
            private long drainMillis = 10_000;

            private Builder() {}

            public Builder host(String v) {
                host = v;
                return this;
            }

            public Builder port(int v) {
                port = v;
                return this;
            }

            public Builder batching(boolean v) {
                batching = v;
                return this;
            }

            public Builder maxWaitMicros(int v) {
                maxWaitMicros = v;
                return this;
            }

            public Builder maxBatchTokens(int v) {
                maxBatchTokens = v;
                return this;
            }

            public Builder queueLimit(int v) {
                queueLimit = v;
                return this;
            }

            public Builder maxInputs(int v) {
                maxInputs = v;
                return this;
            }

            public Builder maxBodyBytes(int v) {
                maxBodyBytes = v;
                return this;
            }

            public Builder timeoutMillis(long v) {
                timeoutMillis = v;
                return this;
            }

            public Builder maxCompletionTokens(int v) {
                maxCompletionTokens = v;
                return this;
            }

            public Builder drainMillis(long v) {
                drainMillis = v;
                return this;
            }

            public Options build() {
                return new Options(host, port, batching, maxWaitMicros, maxBatchTokens, queueLimit, maxInputs, maxBodyBytes, timeoutMillis,
                        maxCompletionTokens, drainMillis);
            }
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
            config.routes.get("/metrics", ctx -> {
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render());
            });
            Serving serving = new Serving(model, options, batcher);
            Endpoint models = new ModelsEndpoint(serving);
            config.routes.get(models.path(), ctx -> handle(ctx, models.path(), models::answer));
            for (Endpoint e : List.<Endpoint>of(new EmbeddingsEndpoint(serving), new PredictEndpoint(serving), new CompletionsEndpoint(serving))) {
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
        return "http://" + options.host() + ":" + port();
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
            return Requests.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
