package dev.moore4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.DecodeLoop;

import io.javalin.http.Context;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * What every endpoint shares: the model, the limits, the batcher that runs its jobs on the model thread, and for a
 * decoder with batching on, the decode loop that generates for many requests at once (null otherwise).
 */
record Serving(AdaptedModel model, Server.Options options, Batcher batcher, DecodeLoop decodes) {
    /** The request body as a JSON object: 413 over the size limit, 400 when empty, malformed or not an object. */
    JsonNode body(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > options.limits().maxBodyBytes()) {
            throw new ApiException(413, null, "request body of " + bytes.length + " bytes exceeds the limit of " + options.limits().maxBodyBytes());
        }
        if (bytes.length == 0) {
            throw new ApiException(400, null, "empty request body: send a JSON object");
        }
        try {
            JsonNode n = Requests.JSON.readTree(bytes);
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

    /** The optional top-level "task": a string naming one of the adapter's tasks. */
    String optionalTask(JsonNode body) {
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
    int checkTokens(String field, String text, String pair) {
        int n = model.countTokensWithin(text, pair);
        if (n < 0) {
            throw new ApiException(413, field, "longer than the model's " + model.maxTokens() + " tokens");
        }
        return n;
    }

    /**
     * Queues a completion of {@code promptIds}: into the decode loop's batch, or (batching off) as a job of its own on the
     * model thread. 429 when the queue is full.
     */
    CompletableFuture<AdaptedModel.Completion> complete(long[] promptIds, AdaptedModel.GenerateOptions o, String task, Consumer<String> onText) {
        if (decodes != null) {
            if (decodes.waiting() >= options.batching().queueLimit()) {
                throw new ApiException(429, null, "queue full (" + options.batching().queueLimit() + " requests waiting): retry later");
            }
            return decodes.submit(promptIds, o, task, onText);
        }
        Batcher.Job job = Batcher.Job.solo(() -> model.generate(promptIds, o, task, onText));
        if (!batcher.submit(job)) {
            throw new ApiException(429, null, "queue full (" + options.batching().queueLimit() + " requests waiting): retry later");
        }
        return job.result.thenApply(r -> (AdaptedModel.Completion) r.get(0));
    }

    /** Waits for completions within the request timeout (503 beyond it, and the rest given up); 400 when the model refused. */
    List<AdaptedModel.Completion> await(List<CompletableFuture<AdaptedModel.Completion>> all) throws InterruptedException {
        long deadline = System.currentTimeMillis() + options.limits().timeoutMillis();
        List<AdaptedModel.Completion> out = new java.util.ArrayList<>();
        try {
            for (CompletableFuture<AdaptedModel.Completion> f : all) {
                out.add(f.get(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS));
            }
            return out;
        } catch (TimeoutException e) {
            all.forEach(f -> f.cancel(false)); // the decode loop drops them at its next step
            throw new ApiException(503, null, "request timed out after " + options.limits().timeoutMillis() + " ms");
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static RuntimeException unwrap(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof ApiException a) {
            return a;
        }
        if (c instanceof MooreException m) {
            return m;
        }
        return new IllegalStateException(c);
    }

    /** Queues a job and waits for it: 429 when the queue is full, 503 on timeout, 400 when the model refuses the input. */
    List<?> await(Batcher.Job job) throws InterruptedException {
        if (!batcher.submit(job)) {
            throw new ApiException(429, null, "queue full (" + options.batching().queueLimit() + " requests waiting): retry later");
        }
        try {
            return job.result.get(options.limits().timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            job.result.cancel(false); // the model thread skips it
            throw new ApiException(503, null, "request timed out after " + options.limits().timeoutMillis() + " ms");
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }
}
