package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.util.Progress;

import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The decoder load test: {@code clients} concurrent clients, each sending streamed greedy {@code /v1/completions} one
 * after another (prompts and tasks in turn), for {@code requests} requests in all. Reports generated tokens per second
 * over the wall time, the time to each answer's first piece, and whether every answer equals the answer the same
 * request got alone (the first time it was asked, at one client).
 */
public final class DecodeBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> PROMPTS = List.of("Once upon a time", "The cat", "Lily went to the park", "Tom had a big red ball",
            "One day, a little bird", "Sam and his dog", "The sun was hot and", "Mom said");

    private DecodeBench() {}

    /** One concurrency's figures. */
    public record Result(String mode, int clients, int requests, int errors, double seconds, long tokens, double tokensPerSecond, double ttftP50Ms,
                         double ttftP99Ms, int answersDifferent) {}

    /** What one request asks: its prompt and task (null: task-free). */
    record Ask(String prompt, String task) {}

    /** The requests in turn: every prompt, with each task of the model in turn (task-free where it has none). */
    static List<Ask> asks(List<String> tasks, int n) {
        List<Ask> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Ask(PROMPTS.get(i % PROMPTS.size()), tasks.isEmpty() ? null : tasks.get((i / PROMPTS.size() + i) % tasks.size())));
        }
        return out;
    }

    /**
     * Runs one concurrency. {@code reference} holds each ask's answer as first seen; an answer that differs from it counts
     * in {@link Result#answersDifferent}.
     */
    public static Result run(String baseUrl, String mode, int clients, int requests, int maxTokens, List<String> tasks, Map<String, String> reference)
            throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(Math.max(4, clients))).build();
        List<Ask> asks = asks(tasks, requests);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger different = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        long[] ttft = new long[requests];
        Map<String, String> seen = new ConcurrentHashMap<>(reference);
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (ProgressBar bar = Progress.bar("decode " + mode + " ×" + clients, requests)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                fs.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < requests) {
                        Ask a = asks.get(i);
                        try {
                            Answer ans = stream(http, baseUrl, a, maxTokens);
                            ttft[i] = ans.firstPieceNanos();
                            tokens.addAndGet(ans.tokens());
                            String key = a.prompt() + "|" + a.task();
                            String before = seen.putIfAbsent(key, ans.text());
                            if (before != null && !before.equals(ans.text())) {
                                different.incrementAndGet();
                            }
                        } catch (IOException | InterruptedException | RuntimeException e) {
                            errors.incrementAndGet();
                        }
                        bar.step();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    errors.incrementAndGet();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        reference.putAll(seen);
        long[] sorted = Arrays.stream(ttft).filter(x -> x > 0).sorted().toArray();
        return new Result(mode, clients, requests, errors.get(), seconds, tokens.get(), tokens.get() / seconds, pct(sorted, 0.5), pct(sorted, 0.99),
                different.get());
    }

    private record Answer(String text, long tokens, long firstPieceNanos) {}

    /** One streamed greedy completion: its text, its token count (the last chunk's usage) and the time to its first piece. */
    private static Answer stream(HttpClient http, String baseUrl, Ask a, int maxTokens) throws IOException, InterruptedException {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("prompt", a.prompt());
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("stream", true);
        if (a.task() != null) {
            body.put("task", a.task());
        }
        long s = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/completions"))
                .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) {
            throw new IOException("status " + r.statusCode());
        }
        StringBuilder text = new StringBuilder();
        long first = 0;
        long count = 0;
        for (Iterator<String> it = r.body().iterator(); it.hasNext(); ) {
            String line = it.next();
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                continue;
            }
            JsonNode chunk = JSON.readTree(line.substring(6));
            String piece = chunk.path("choices").path(0).path("text").asText("");
            if (!piece.isEmpty() && first == 0) {
                first = System.nanoTime() - s;
            }
            text.append(piece);
            if (chunk.has("usage")) {
                count = chunk.get("usage").path("completion_tokens").asLong();
            }
            if (chunk.has("error")) {
                throw new IOException(chunk.get("error").path("message").asText());
            }
        }
        return new Answer(text.toString(), count, first);
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
