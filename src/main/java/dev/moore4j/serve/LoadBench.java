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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A closed-loop load test over loopback: {@code clients} threads, each sending its next request as soon
 * as the last is answered, until {@code requests} are done or {@code maxSeconds} pass. The mix covers every
 * task the server lists: embeddings routed by each task and task-free, and predictions of 1–4 inputs.
 */
public final class LoadBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] WORDS = ("the a film movie story plot actor scene music ending was is felt seemed quite very truly rather "
            + "good bad dull brilliant moving boring clever silly warm cold long short funny sad bright dark slow fast honest fake "
            + "and but yet so because while though after before every some no").split(" ");

    private LoadBench() {}

    /** Figures of one run; latencies in milliseconds, memory in bytes (server's resident set from /metrics). */
    public record Result(String mode, int clients, int requests, int errors, Map<Integer, Integer> statuses, double seconds, double throughput,
                         double p50Ms, double p99Ms, double meanRequestsPerBatch, long rssBeforeBytes, long rssAfterBytes) {}

    /** One request of the mix: endpoint and body. */
    record Call(String path, String body) {}

    public static Result run(String baseUrl, String mode, int clients, int requests, long maxSeconds, long seed) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4)).build();
        JsonNode models = JSON.readTree(get(http, baseUrl + "/v1/models"));
        List<Call> mix = mix(models.path("data").path(0), seed);
        warmUp(http, baseUrl, mix, Math.min(200, requests));
        Map<String, Double> before = metrics(get(http, baseUrl + "/metrics"));
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        long[] latency = new long[requests];
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(maxSeconds);
        AtomicLong lastEnd = new AtomicLong(t0);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (ProgressBar bar = Progress.bar("load " + mode, requests)) {
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < requests && System.nanoTime() < deadline) {
                        long s = System.nanoTime();
                        int status;
                        try {
                            status = send(http, baseUrl, mix.get(i % mix.size()));
                        } catch (IOException | InterruptedException e) {
                            status = -1;
                        }
                        long end = System.nanoTime();
                        latency[i] = end - s;
                        lastEnd.accumulateAndGet(end, Math::max);
                        statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
                        if (status != 200) {
                            errors.incrementAndGet();
                        }
                        done.incrementAndGet();
                        bar.step();
                    }
                    return null;
                });
            }
            pool.shutdown();
            if (!pool.awaitTermination(maxSeconds + 120, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        }
        int n = done.get();
        double seconds = (lastEnd.get() - t0) / 1e9;
        Map<String, Double> after = metrics(get(http, baseUrl + "/metrics"));
        long[] lat = Arrays.copyOf(latency, Math.min(requests, next.get()));
        lat = Arrays.stream(lat).filter(x -> x > 0).sorted().toArray();
        double batches = after.getOrDefault("moore_batch_requests_count", 0.0) - before.getOrDefault("moore_batch_requests_count", 0.0);
        double batched = after.getOrDefault("moore_batch_requests_sum", 0.0) - before.getOrDefault("moore_batch_requests_sum", 0.0);
        Map<Integer, Integer> st = new TreeMap<>();
        statuses.forEach((k, v) -> st.put(k, v.get()));
        return new Result(mode, clients, n, errors.get(), st, seconds, n / seconds, pct(lat, 0.50), pct(lat, 0.99), batches > 0 ? batched / batches : 0,
                before.getOrDefault("process_resident_memory_bytes", -1.0).longValue(),
                after.getOrDefault("process_resident_memory_bytes", -1.0).longValue());
    }

    /** Requests before timing: the JIT, the allocator and the thread pools settle. */
    private static void warmUp(HttpClient http, String baseUrl, List<Call> mix, int n) throws IOException, InterruptedException {
        for (int i = 0; i < n; i++) {
            send(http, baseUrl, mix.get(i % mix.size()));
        }
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    /** Requests covering every task (and task-free embeddings), shuffled, reproducible from the seed. */
    static List<Call> mix(JsonNode model, long seed) {
        Random rnd = new Random(seed);
        List<Call> out = new ArrayList<>();
        boolean encoder = "encoder".equals(model.path("kind").asText());
        List<String> taskNames = new ArrayList<>();
        model.path("tasks").forEach(t -> taskNames.add(t.path("name").asText()));
        for (int i = 0; i < 512; i++) {
            int pick = rnd.nextInt(taskNames.size() + 1);
            if (encoder && (pick == taskNames.size() || rnd.nextBoolean())) { // embeddings, by task or task-free
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("model", "bench");
                b.put("input", rnd.nextInt(4) == 0 ? List.of(sentence(rnd), sentence(rnd)) : sentence(rnd));
                if (pick < taskNames.size()) {
                    b.put("task", taskNames.get(pick));
                }
                out.add(new Call("/v1/embeddings", Server.json(b)));
                continue;
            }
            if (taskNames.isEmpty()) {
                continue;
            }
            JsonNode task = model.path("tasks").path(pick % taskNames.size());
            List<Object> inputs = new ArrayList<>();
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                inputs.add(switch (task.path("kind").asText()) {
                    case "multiple-choice" -> Map.of("question", sentence(rnd), "choices", List.of(sentence(rnd), sentence(rnd)));
                    default -> rnd.nextBoolean() ? Map.of("text", sentence(rnd)) : Map.of("text", sentence(rnd), "pair", sentence(rnd));
                });
            }
            out.add(new Call("/v1/predict", Server.json(Map.of("task", task.path("name").asText(), "inputs", inputs))));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the server offers nothing this benchmark can send (no embeddings, no tasks)");
        }
        return out;
    }

    private static String sentence(Random rnd) {
        StringBuilder sb = new StringBuilder();
        for (int i = 6 + rnd.nextInt(20); i > 0; i--) {
            sb.append(WORDS[rnd.nextInt(WORDS.length)]).append(i > 1 ? " " : ".");
        }
        return Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
    }

    private static int send(HttpClient http, String base, Call c) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + c.path())).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(c.body())).build();
        return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE);

    /** Unlabelled samples of a Prometheus text (labelled ones summed per name). */
    static Map<String, Double> metrics(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (m.group(2) == null) {
                out.merge(m.group(1), Double.parseDouble(m.group(3)), Double::sum);
            }
        }
        return out;
    }
}
