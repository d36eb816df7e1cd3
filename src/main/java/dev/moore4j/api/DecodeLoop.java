package dev.moore4j.api;

import dev.moore4j.MooreException;
import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.Decoding;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Continuous batching: completions that arrive while others decode join the running batch. Each step decodes one
 * token for every sequence in it; between steps, waiting sequences are prefilled and join (while the batch has room
 * in rows and in key/value memory), and sequences that ended (an end token, a stop string, their budget, a caller
 * who went away or gave up) leave. Sequences of different tasks share a step, each row routed by its own task. The
 * answers are those of {@link AdaptedModel#generate} one at a time: the same sampling ({@link Decoding}), each
 * sequence its own generator.
 */
public final class DecodeLoop implements AutoCloseable {
    /**
     * @param maxSequences most sequences decoded together
     * @param kvBytes      most bytes the batch's keys and values may take (rows padded to the longest, counted at the
     *                     length each may reach)
     */
    public record Options(int maxSequences, long kvBytes) {
        public static final Options DEFAULT = new Options(64, 1L << 30);
    }

    /** A waiting or running completion. */
    private static final class Sequence {
        final long[] promptIds;
        final int maxTokens;
        final int taskId;
        final Completions text;
        final Decoding decoding;
        final CompletableFuture<AdaptedModel.Completion> result = new CompletableFuture<>();

        Sequence(long[] promptIds, int maxTokens, int taskId, Completions text, Decoding decoding) {
            this.promptIds = promptIds;
            this.maxTokens = maxTokens;
            this.taskId = taskId;
            this.text = text;
            this.decoding = decoding;
        }

        /** Positions it may reach: its prompt and its whole budget. */
        int reach() {
            return promptIds.length + maxTokens;
        }
    }

    private final AdaptedModel model;
    private final Options options;
    private final long kvBytesPerPosition;
    private final Deque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final List<Integer> reach = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;
    private long steps;
    private long stepRows;

    public DecodeLoop(AdaptedModel model, Options options) {
        this.model = model;
        this.options = options;
        this.kvBytesPerPosition = model.kvBytesPerPosition();
        this.thread = new Thread(this::loop, "moore-decode");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a completion of {@code promptIds} (already tokenized: a prompt, or a rendered conversation), routed as
     * {@code task} (null: task-free); {@code onText} (may be null) gets each piece as it is sure. Cancelling the future
     * drops the sequence at the next step.
     */
    public CompletableFuture<AdaptedModel.Completion> submit(long[] promptIds, AdaptedModel.GenerateOptions o, String task, Consumer<String> onText) {
        Completions text = new Completions(o, onText);
        Sequence s = new Sequence(promptIds, o.maxTokens(), model.taskIdOf(task), text,
                new Decoding(model.tokenizer(), promptIds, text.sampling(model.endTokens()), model.maxTokens(), text));
        if (s.decoding.done()) { // no room for even one token
            s.result.complete(text.done(s.decoding.finish(), promptIds.length));
            return s.result;
        }
        synchronized (this) {
            if (closed) {
                throw new MooreException("decode loop closed");
            }
            waiting.add(s);
            notifyAll();
        }
        return s.result;
    }

    /** Sequences waiting to join the batch. */
    public synchronized int waiting() {
        return waiting.size();
    }

    /** Mean rows per step so far (how much batching happened). */
    public synchronized double meanBatch() {
        return steps == 0 ? 0 : (double) stepRows / steps;
    }

    private void loop() {
        try (DecoderModel.Batch batch = model.decodeBatch()) {
            while (true) {
                synchronized (this) {
                    while (!closed && waiting.isEmpty() && running.isEmpty()) {
                        wait();
                    }
                    if (closed) {
                        break;
                    }
                }
                admit(batch);
                if (!running.isEmpty()) {
                    step(batch);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            fail(new CancellationException("decode loop closed"));
        }
    }

    /** Prefills waiting sequences into the batch while there is room; each takes its first token from its prefill. */
    private void admit(DecoderModel.Batch batch) {
        while (true) {
            Sequence s;
            synchronized (this) {
                s = waiting.peek();
                if (s == null || running.size() >= options.maxSequences() || !fits(s)) {
                    return;
                }
                waiting.poll();
            }
            if (s.result.isDone()) {
                continue; // cancelled while it waited
            }
            try {
                float[] logits = batch.add(s.promptIds, s.taskId);
                running.add(s);
                reach.add(s.reach());
                if (!take(s, logits)) {
                    leave(batch, running.size() - 1);
                }
            } catch (RuntimeException e) {
                s.result.completeExceptionally(e);
                if (running.contains(s)) {
                    leave(batch, running.indexOf(s));
                }
            }
        }
    }

    /** Whether the batch's keys and values, every row padded to the longest reach, stay within the budget with {@code s}. */
    private boolean fits(Sequence s) {
        if (running.isEmpty()) {
            return true; // one sequence always runs, as it would alone
        }
        int longest = Math.max(s.reach(), reach.stream().mapToInt(Integer::intValue).max().orElse(0));
        return (running.size() + 1L) * longest * kvBytesPerPosition <= options.kvBytes();
    }

    private void step(DecoderModel.Batch batch) {
        long[] tokens = new long[running.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = running.get(i).decoding.last();
        }
        float[][] logits;
        try {
            logits = batch.step(tokens);
        } catch (RuntimeException e) {
            for (int i = running.size() - 1; i >= 0; i--) {
                running.get(i).result.completeExceptionally(e);
                leave(batch, i);
            }
            return;
        }
        synchronized (this) {
            steps++;
            stepRows += tokens.length;
        }
        for (int i = running.size() - 1; i >= 0; i--) { // from the last row: leaving moves only the rows after it
            if (!take(running.get(i), logits[i])) {
                leave(batch, i);
            }
        }
    }

    /** Gives a sequence its next logits; false when it has ended (its result is then complete). */
    private boolean take(Sequence s, float[] logits) {
        if (s.result.isCancelled()) {
            return false;
        }
        try {
            if (s.decoding.next(logits)) {
                return true;
            }
            s.result.complete(s.text.done(s.decoding.finish(), s.promptIds.length));
        } catch (CancellationException e) { // the caller went away (a stream's client hung up)
            s.result.completeExceptionally(e);
        } catch (RuntimeException e) {
            s.result.completeExceptionally(e);
        }
        return false;
    }

    private void leave(DecoderModel.Batch batch, int row) {
        running.remove(row);
        reach.remove(row);
        batch.remove(row);
    }

    private synchronized void fail(RuntimeException e) {
        waiting.forEach(s -> s.result.completeExceptionally(e));
        waiting.clear();
        running.forEach(s -> s.result.completeExceptionally(e));
        running.clear();
        reach.clear();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
