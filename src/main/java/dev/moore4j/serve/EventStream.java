package dev.moore4j.serve;

import dev.moore4j.api.AdaptedModel;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A generation streamed as server-sent events: the model thread hands pieces to {@link #sink}, the request thread
 * writes each as a chunk, then the closing chunks and {@code [DONE]}. A client that hangs up stops the generation at
 * its next piece; one that outlasts the request timeout gets a 503 event.
 */
final class EventStream {
    /** A decoded piece of one answer ({@code choice}: its index among the request's {@code n}). */
    record Piece(int choice, String text) {}

    private final LinkedBlockingQueue<Piece> pieces = new LinkedBlockingQueue<>();
    private final AtomicBoolean gone = new AtomicBoolean();

    /** Where the model thread puts the pieces of answer {@code choice}. */
    Consumer<String> sink(int choice) {
        return piece -> {
            if (gone.get()) {
                throw new CancellationException("client went away");
            }
            pieces.add(new Piece(choice, piece));
        };
    }

    /**
     * Writes {@code first} (may be empty), a chunk per piece, then the chunks {@code last} makes of the completions once
     * all are done, then {@code [DONE]}.
     */
    void pump(Context ctx, Serving serving, List<CompletableFuture<AdaptedModel.Completion>> all, List<String> first, Function<Piece, String> chunk,
              Function<List<AdaptedModel.Completion>, List<String>> last) throws InterruptedException {
        CompletableFuture<Void> done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        long timeout = serving.options().limits().timeoutMillis();
        long deadline = System.currentTimeMillis() + timeout;
        try {
            OutputStream out = ctx.res().getOutputStream();
            for (String f : first) {
                event(out, f);
            }
            while (true) {
                Piece piece = pieces.poll(20, TimeUnit.MILLISECONDS);
                if (piece != null) {
                    event(out, chunk.apply(piece));
                } else if (done.isDone() && pieces.isEmpty()) {
                    break;
                } else if (System.currentTimeMillis() > deadline) {
                    gone.set(true);
                    all.forEach(f -> f.cancel(false));
                    event(out, Requests.error(503, null, "request timed out after " + timeout + " ms").toString());
                    return;
                }
            }
            try {
                List<AdaptedModel.Completion> results = new java.util.ArrayList<>();
                for (CompletableFuture<AdaptedModel.Completion> f : all) {
                    results.add(f.get());
                }
                for (String l : last.apply(results)) {
                    event(out, l);
                }
                event(out, "[DONE]");
            } catch (ExecutionException e) {
                event(out, Requests.error(500, null, "generation failed: " + e.getCause()).toString());
            }
        } catch (IOException e) {
            gone.set(true); // the client hung up: stop generating for it
            all.forEach(f -> f.cancel(false));
        }
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
