package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.DecodeLoop;
import dev.moore4j.serve.Server;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code moore serve}: an HTTP server over an adapter (every task) or a base model. */
@Command(name = "serve", description = "Serve an adapter (or a base model) over HTTP: OpenAI-style /v1/embeddings and /v1/completions, "
        + "/v1/predict, /v1/models, /health, /metrics. Concurrent requests of different tasks share forward passes.")
final class ServeCommand implements Runnable {
    @Mixin
    Common common;

    /** An adapter serves all its tasks; a base model alone serves task-free embeddings or completions. */
    @Mixin
    ModelSource source;

    @Option(names = "--host", description = "Interface to listen on. Default: ${DEFAULT-VALUE} (loopback only).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Port (0: any free port). Default: ${DEFAULT-VALUE}.")
    int port = 8080;

    @Option(names = "--no-batching", description = "Run every request as its own forward pass.")
    boolean noBatching;

    @Option(names = "--batch-wait-us", description = "How long the oldest request waits for others to join its batch, in µs. Default: ${DEFAULT-VALUE}.")
    int batchWaitMicros = 2000;

    @Option(names = "--batch-tokens", description = "Token budget of one batched forward pass. Default: ${DEFAULT-VALUE}.")
    int batchTokens = 8192;

    @Option(names = "--queue-limit", description = "Requests waiting at most; more get 429. Default: ${DEFAULT-VALUE}.")
    int queueLimit = 1024;

    @Option(names = "--max-inputs", description = "Inputs per request at most (413 beyond). Default: ${DEFAULT-VALUE}.")
    int maxInputs = 256;

    @Option(names = "--max-body-bytes", description = "Request body size at most (413 beyond). Default: ${DEFAULT-VALUE}.")
    int maxBodyBytes = 1 << 20;

    @Option(names = "--timeout-ms", description = "A request not answered by then gets 503. Default: ${DEFAULT-VALUE}.")
    long timeoutMillis = 30_000;

    @Option(names = "--max-completion-tokens", description = "Largest max_tokens a completion may ask for. Default: ${DEFAULT-VALUE}.")
    int maxCompletionTokens = 1024;

    @Option(names = "--max-sequences", description = "A decoder's completions decoded together at most (continuous batching). Default: ${DEFAULT-VALUE}.")
    int maxSequences = 64;

    @Option(names = "--kv-cache-mb", description = "Key/value memory the decoding batch may take; a request waits while it would not fit. Default: ${DEFAULT-VALUE}.")
    long kvCacheMb = 1024;

    /** The options, each checked against its domain (a user error names the flag). */
    Server.Options options() {
        Common.range("--port", port, 0, 65535);
        Common.range("--batch-wait-us", batchWaitMicros, 0, 10_000_000);
        Common.range("--batch-tokens", batchTokens, 1, Integer.MAX_VALUE);
        Common.range("--queue-limit", queueLimit, 1, 1_000_000);
        Common.range("--max-inputs", maxInputs, 1, 1_000_000);
        Common.range("--max-body-bytes", maxBodyBytes, 1, Integer.MAX_VALUE);
        Common.range("--timeout-ms", timeoutMillis, 1, Long.MAX_VALUE);
        Common.range("--max-completion-tokens", maxCompletionTokens, 1, 1_000_000);
        Common.range("--max-sequences", maxSequences, 1, 4096);
        Common.range("--kv-cache-mb", kvCacheMb, 1, 1L << 24);
        return new Server.Options(new Server.Options.Listen(host, port), new Server.Options.Batching(!noBatching, batchWaitMicros, batchTokens, queueLimit),
                new Server.Options.Limits(maxInputs, maxBodyBytes, timeoutMillis, maxCompletionTokens, Server.Options.Limits.DEFAULT.drainMillis()),
                new DecodeLoop.Options(maxSequences, kvCacheMb << 20));
    }

    @Override
    public void run() {
        Server.Options o = options();
        AdaptedModel model = source.open(common, null, "serve");
        Server server;
        try {
            server = Server.start(model, o);
        } catch (RuntimeException e) {
            model.close();
            throw new MooreException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { // SIGTERM / Ctrl-C: drain, then stop
            System.err.println("moore serve: shutting down, draining in-flight requests");
            server.close();
            model.close();
            stopped.countDown();
        }, "moore-serve-shutdown"));
        String tasks = model.tasks().isEmpty() ? "task-free only" : "tasks " + String.join(", ", model.tasks().stream().map(AdaptedModel.TaskInfo::name).toList());
        System.err.printf("moore serve: %s (%s) on %s%s%n", model.name(), tasks, server.baseUrl(), o.batching().enabled() ? "" : " (batching off)");
        if (common.json) {
            common.printJson(Map.of("url", server.baseUrl(), "port", server.port(), "model", model.name()));
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
