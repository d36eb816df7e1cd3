package dev.moore4j.serve;

import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.BatchRetry;
import dev.moore4j.util.NativeTrimmer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Cross-task dynamic batching. Requests wait in a bounded queue; one worker thread takes the oldest,
 * gathers more of the same kind (embeddings or predictions, of any tasks) until the wait or the token
 * budget runs out, and runs them as one forward pass with a task id per input. Generation runs alone.
 *
 * <p>A batch that fails is retried request by request, so a bad request fails alone and never takes
 * the others of its batch down with it. Requests whose caller gave up (timeout) are skipped.
 */
final class Batcher implements AutoCloseable {
    /**
     * @param enabled        gather requests (off: every request is its own forward)
     * @param maxWaitMicros  how long the oldest request waits for company
     * @param maxBatchTokens token budget of one forward (the oldest request always runs, whatever its size)
     * @param queueLimit     requests waiting at most; beyond it, submissions are refused
     */
    enum Kind { EMBED, PREDICT, SOLO }

    /** A queued request: inputs of one kind, their token count, and where its result goes. */
    static final class Job {
        final Kind kind;
        final List<?> items;
        final int tokens;
        final Supplier<Object> solo;
        final CompletableFuture<List<?>> result = new CompletableFuture<>();

        private Job(Kind kind, List<?> items, int tokens, Supplier<Object> solo) {
            this.kind = kind;
            this.items = items;
            this.tokens = tokens;
            this.solo = solo;
        }

        static Job embed(List<EmbedItem> items, int tokens) {
            return new Job(Kind.EMBED, items, tokens, null);
        }

        static Job predict(List<AdaptedModel.Input> items, int tokens) {
            return new Job(Kind.PREDICT, items, tokens, null);
        }

        /** Work that runs alone on the model thread (generation); its value is the result's only element. */
        static Job solo(Supplier<Object> work) {
            return new Job(Kind.SOLO, List.of(), 0, work);
        }
    }

    /** One text to embed and its task (null: task-free). */
    record EmbedItem(String text, String task) {}

    private final AdaptedModel model;
    private final Server.Options.Batching options;
    private final ServeMetrics metrics;
    private final LinkedBlockingQueue<Job> queue;
    private final Thread worker;
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean running = true;
    private final ConcurrentLinkedDeque<Job> backlog = new ConcurrentLinkedDeque<>(); // taken from the queue, of another kind than the batch gathered
    private final NativeTrimmer trimmer = new NativeTrimmer(64L << 20); // varied batch shapes leave freed native memory in glibc's arenas

    Batcher(AdaptedModel model, Server.Options.Batching options, ServeMetrics metrics) {
        this.model = model;
        this.options = options;
        this.metrics = metrics;
        this.queue = new LinkedBlockingQueue<>(options.queueLimit());
        this.worker = new Thread(this::loop, "moore-batcher");
        worker.setDaemon(true);
        worker.start();
    }

    /** Queues a job; false when the queue is full (the caller answers 429). */
    boolean submit(Job job) {
        return running && queue.offer(job);
    }

    int queueDepth() {
        return queue.size() + backlog.size();
    }

    /** Whether nothing is queued or running. */
    boolean idle() {
        return queue.isEmpty() && backlog.isEmpty() && busy.get() == 0;
    }

    private void loop() {
        while (running || !queue.isEmpty() || !backlog.isEmpty()) {
            try {
                Job first = !backlog.isEmpty() ? backlog.poll() : queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null || first.result.isDone()) {
                    continue;
                }
                busy.incrementAndGet();
                try {
                    if (first.kind == Kind.SOLO) {
                        runSolo(first);
                    } else {
                        run(gather(first));
                    }
                    trimmer.check();
                } finally {
                    busy.decrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The first job and every job of its kind that is waiting or arrives within the wait, up to the token
     * budget. Jobs of the other kind keep their order in the backlog and lead the next round.
     */
    private List<Job> gather(Job first) throws InterruptedException {
        List<Job> group = new ArrayList<>();
        group.add(first);
        if (!options.enabled()) {
            return group;
        }
        int tokens = first.tokens;
        ArrayDeque<Job> other = new ArrayDeque<>();
        for (Job j; tokens < options.maxBatchTokens() && (j = backlog.peek()) != null; ) { // older jobs first
            backlog.poll();
            if (j.kind == first.kind && tokens + j.tokens <= options.maxBatchTokens()) {
                group.add(j);
                tokens += j.tokens;
            } else if (!j.result.isDone()) {
                other.add(j);
            }
        }
        while (!backlog.isEmpty()) { // budget full: the rest stays ahead of anything newer
            other.add(backlog.poll());
        }
        long deadline = System.nanoTime() + options.maxWaitMicros() * 1000L;
        while (tokens < options.maxBatchTokens()) {
            long left = deadline - System.nanoTime();
            Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            if (next.result.isDone()) {
                continue;
            }
            if (next.kind == first.kind && tokens + next.tokens <= options.maxBatchTokens()) {
                group.add(next);
                tokens += next.tokens;
            } else {
                other.add(next);
                if (next.kind == first.kind) {
                    break; // the budget is full
                }
            }
        }
        backlog.addAll(other);
        return group;
    }

    private void runSolo(Job job) {
        try {
            job.result.complete(List.of(job.solo.get()));
        } catch (RuntimeException e) {
            job.result.completeExceptionally(e);
        }
    }

    private void run(List<Job> group) {
        Kind kind = group.get(0).kind;
        List<BatchRetry.Outcome<List<?>>> outcomes = BatchRetry.run(group, g -> {
            List<?> out = forward(kind, g);
            metrics.batch(g.size(), out.size()); // counted before any client can read its answer
            List<List<?>> perJob = new ArrayList<>(g.size());
            int at = 0;
            for (Job j : g) {
                perJob.add(out.subList(at, at + j.items.size()));
                at += j.items.size();
            }
            return perJob;
        });
        for (int i = 0; i < group.size(); i++) {
            if (outcomes.get(i) instanceof BatchRetry.Outcome.Failed<List<?>> f) {
                group.get(i).result.completeExceptionally(f.error());
            } else {
                group.get(i).result.complete(((BatchRetry.Outcome.Done<List<?>>) outcomes.get(i)).value());
            }
        }
    }

    /** One forward over every input of the group, results in order. */
    private List<?> forward(Kind kind, List<Job> group) {
        if (kind == Kind.EMBED) {
            List<String> texts = new ArrayList<>();
            List<String> tasks = new ArrayList<>();
            for (Job j : group) {
                for (Object o : j.items) {
                    EmbedItem e = (EmbedItem) o;
                    texts.add(e.text());
                    tasks.add(e.task());
                }
            }
            return Arrays.asList(model.embed(texts, tasks));
        }
        List<AdaptedModel.Input> inputs = new ArrayList<>();
        for (Job j : group) {
            for (Object o : j.items) {
                inputs.add((AdaptedModel.Input) o);
            }
        }
        return model.predict(inputs);
    }

    /** Waits up to {@code drainMillis} for queued and running work to finish (the server stops admitting requests first). */
    void drain(long drainMillis) {
        long deadline = System.currentTimeMillis() + drainMillis;
        while (!idle() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backlog.forEach(j -> j.result.completeExceptionally(new ApiException(503, null, "server shutting down")));
        Job j;
        while ((j = queue.poll()) != null) {
            j.result.completeExceptionally(new ApiException(503, null, "server shutting down"));
        }
    }
}
