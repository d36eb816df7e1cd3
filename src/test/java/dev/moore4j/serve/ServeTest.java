package dev.moore4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.engine.Engines;
import dev.moore4j.api.MooreEmbeddingModel;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The server against the library API and the CLI on a small trained MiniLM adapter (classification,
 * regression and multiple-choice tasks), and on a stories260K adapter for completions: equal answers
 * single or batched with other tasks, every bad request a 4xx naming its field, 429 at the queue limit,
 * a real OpenAI client (langchain4j's) getting the same vectors, a draining shutdown.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> TEXTS = List.of("a gorgeous, witty film", "dull and lifeless", "The cat sat on the mat while the dog slept.");
    Path dir;
    Path adapter;
    AdaptedModel model;
    Server server;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(8)).build();

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("moore-serve");
        // a few steps at a large rate: the router moves away from init, so tasks route differently (MiniLM's first two
        // blocks: what is served is the claim, not MiniLM's figures)
        int code = cli("train", "--model", TestSupport.minilmTwoLayers(), "--tasks", "sst2,stsb,arc-e", "--max-train", "48", "--max-eval", "8", "--batch-size", "8",
                "--max-steps", "6", "--lr", "2e-2", "--no-oblivion", "--threads", TestSupport.THREADS, "--out", dir.resolve("run").toString()).code;
        assertThat(code).isZero();
        adapter = dir.resolve("run").resolve("last");
        model = AdaptedModel.open(adapter, Engines.defaultThreads());
        server = Server.start(model, options(true, 20_000, 1024));
    }

    @AfterAll
    void stop() {
        server.close();
        model.close();
    }

    static Server.Options options(boolean batching, int waitMicros, int queueLimit) {
        return new Server.Options(new Server.Options.Listen("127.0.0.1", 0), new Server.Options.Batching(batching, waitMicros, 8192, queueLimit),
                new Server.Options.Limits(64, 64 << 10, 60_000, 64, 10_000));
    }

    record Out(int code, String out, String err) {}

    static Out cli(String... args) {
        TestSupport.CliRun r = TestSupport.cli(args);
        return new Out(r.code(), r.out(), r.err());
    }

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

    Reply post(Server s, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse("").startsWith("application/json") ? JSON.readTree(r.body()) : null, r);
    }

    Reply get(Server s, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().startsWith("{") ? JSON.readTree(r.body()) : null, r);
    }

    static float[] vector(JsonNode e) {
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) e.get(i).asDouble();
        }
        return v;
    }

    static double maxDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void embeddingsEqualTheLibraryAndTheCliAndRouteByTask() throws Exception {
        Reply r = post(server, "/v1/embeddings", Server.json(Map.of("model", "x", "input", TEXTS, "task", "sst2")));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.body().get("object").asText()).isEqualTo("list");
        assertThat(r.body().get("usage").get("prompt_tokens").asInt()).isPositive();
        float[][] lib = model.embed(TEXTS, "sst2");
        Out cli = cli("embed", "--adapter", adapter.toString(), "--task", "sst2", "--threads", TestSupport.THREADS, "--json", TEXTS.get(0), TEXTS.get(1), TEXTS.get(2));
        assertThat(cli.code()).as(cli.err()).isZero();
        JsonNode cliE = JSON.readTree(cli.out()).get("embeddings");
        for (int i = 0; i < TEXTS.size(); i++) {
            JsonNode d = r.body().get("data").get(i);
            assertThat(d.get("index").asInt()).isEqualTo(i);
            assertThat(maxDiff(vector(d.get("embedding")), lib[i])).isLessThanOrEqualTo(1e-5);
            assertThat(maxDiff(vector(cliE.get(i)), lib[i])).isLessThanOrEqualTo(1e-5);
        }
        // the task id reaches the adapter: another task, and task-free, give other vectors
        float[][] stsb = model.embed(TEXTS, "stsb");
        float[][] free = model.embed(TEXTS, (String) null);
        assertThat(maxDiff(stsb[0], lib[0])).isGreaterThan(1e-4);
        assertThat(maxDiff(free[0], lib[0])).isGreaterThan(1e-4);
        Reply f = post(server, "/v1/embeddings", Server.json(Map.of("input", TEXTS.get(0))));
        assertThat(maxDiff(vector(f.body().get("data").get(0).get("embedding")), free[0])).isLessThanOrEqualTo(1e-5);
        // base64 encoding, as OpenAI clients may ask
        Reply b = post(server, "/v1/embeddings", Server.json(Map.of("input", TEXTS.get(0), "task", "sst2", "encoding_format", "base64")));
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b.body().get("data").get(0).get("embedding").asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(v);
        assertThat(maxDiff(v, lib[0])).isLessThanOrEqualTo(1e-5);
    }

    /** A mix of every endpoint kind and task: embeddings by task and task-free, predictions of each task kind. */
    static List<String[]> mixedRequests() {
        List<String[]> calls = new ArrayList<>();
        String[] sentences = {"a gorgeous, witty film", "dull and lifeless", "the plot moves slowly but the ending pays off", "I would not see it again",
                "A man is playing a guitar.", "Birds fly south in winter."};
        for (int i = 0; i < 36; i++) {
            String s = sentences[i % sentences.length];
            String t = sentences[(i + 1) % sentences.length];
            calls.add(switch (i % 6) {
                case 0 -> new String[] {"/v1/embeddings", Server.json(Map.of("input", List.of(s, t), "task", "sst2"))};
                case 1 -> new String[] {"/v1/embeddings", Server.json(Map.of("input", s))};
                case 2 -> new String[] {"/v1/embeddings", Server.json(Map.of("input", s, "task", "stsb"))};
                case 3 -> new String[] {"/v1/predict", Server.json(Map.of("task", "sst2", "inputs", List.of(Map.of("text", s), Map.of("text", t))))};
                case 4 -> new String[] {"/v1/predict", Server.json(Map.of("task", "stsb", "inputs", List.of(Map.of("text", s, "pair", t))))};
                default -> new String[] {"/v1/predict", Server.json(Map.of("task", "arc-e", "inputs",
                        List.of(Map.of("question", "Which is alive? " + s, "choices", List.of("a tree", "a rock", "a spoon")))))};
            });
        }
        return calls;
    }

    @Test
    void aConcurrentMixedTaskBurstAnswersExactlyAsOneByOne() throws Exception {
        List<String[]> calls = mixedRequests();
        List<JsonNode> serial = new ArrayList<>();
        for (String[] c : calls) {
            Reply r = post(server, c[0], c[1]);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            serial.add(r.body());
        }
        Map<String, Double> before = LoadBench.metrics(server.metricsText());
        List<CompletableFuture<Reply>> burst = new ArrayList<>();
        synchronized (model) { // the first request holds the model thread while all others queue: they must share forwards
            burst.add(postAsync(server, calls.get(0)[0], calls.get(0)[1]));
            awaitModelThreadBlocked();
            for (String[] c : calls.subList(1, calls.size())) {
                burst.add(postAsync(server, c[0], c[1]));
            }
            awaitUntil("the burst is queued", () -> {
                try {
                    return get(server, "/health").body().get("queue_depth").asInt() == calls.size() - 1;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        for (int i = 0; i < calls.size(); i++) {
            Reply r = burst.get(i).get();
            assertThat(r.status()).isEqualTo(200);
            assertSame(serial.get(i), r.body(), calls.get(i)[1]);
        }
        Map<String, Double> after = LoadBench.metrics(server.metricsText());
        double forwards = after.get("moore_batch_requests_count") - before.get("moore_batch_requests_count");
        double requests = after.get("moore_batch_requests_sum") - before.get("moore_batch_requests_sum");
        assertThat(requests).isEqualTo(calls.size());
        assertThat(forwards).as("requests were batched together").isLessThan(calls.size());
    }

    /** Same labels and choices; same numbers within 1e-5 (batched rows are padded differently). */
    static void assertSame(JsonNode a, JsonNode b, String what) {
        if (a.isNumber()) {
            assertThat(b.asDouble()).as(what).isCloseTo(a.asDouble(), Offset.offset(1e-5));
        } else if (a.isContainerNode()) {
            assertThat(b.size()).as(what).isEqualTo(a.size());
            if (a.isArray()) {
                for (int i = 0; i < a.size(); i++) {
                    assertSame(a.get(i), b.get(i), what);
                }
            } else {
                a.fieldNames().forEachRemaining(f -> {
                    if (!f.equals("created") && !f.equals("id")) {
                        assertSame(a.get(f), b.get(f), what + "." + f);
                    }
                });
            }
        } else {
            assertThat(b).as(what).isEqualTo(a);
        }
    }

    @Test
    void everyBadRequestGetsItsStatusAndNamesItsField() throws Exception {
        String long512 = "word ".repeat(600);
        Object[][] cases = {
                {"/v1/embeddings", "{\"input\": [\"a\",", 400, null},
                {"/v1/embeddings", "[1, 2]", 400, null},
                {"/v1/embeddings", "", 400, null},
                {"/v1/embeddings", "{\"model\": \"x\"}", 400, "input"},
                {"/v1/embeddings", "{\"input\": []}", 400, "input"},
                {"/v1/embeddings", "{\"input\": \"\"}", 400, "input"},
                {"/v1/embeddings", "{\"input\": [\"ok\", \"\"]}", 400, "input[1]"},
                {"/v1/embeddings", "{\"input\": [[1, 2, 3]]}", 400, "input[0]"},
                {"/v1/embeddings", "{\"input\": 5}", 400, "input"},
                {"/v1/embeddings", "{\"input\": \"hi\", \"task\": \"cola\"}", 400, "task"},
                {"/v1/embeddings", "{\"input\": \"hi\", \"task\": 3}", 400, "task"},
                {"/v1/embeddings", "{\"input\": \"hi\", \"encoding_format\": \"int8\"}", 400, "encoding_format"},
                {"/v1/embeddings", "{\"input\": \"hi\", \"dimensions\": 128}", 400, "dimensions"},
                {"/v1/embeddings", Server.json(Map.of("input", Collections.nCopies(65, "x"))), 413, "input"},
                {"/v1/embeddings", Server.json(Map.of("input", List.of("fine", long512))), 413, "input[1]"},
                {"/v1/embeddings", Server.json(Map.of("input", "x".repeat(70_000))), 413, null},
                {"/v1/predict", "{\"inputs\": [{\"text\": \"a\"}]}", 400, "task"},
                {"/v1/predict", "{\"task\": \"mnli\", \"inputs\": [{\"text\": \"a\"}]}", 400, "task"},
                {"/v1/predict", "{\"task\": \"sst2\"}", 400, "inputs"},
                {"/v1/predict", "{\"task\": \"sst2\", \"inputs\": []}", 400, "inputs"},
                {"/v1/predict", "{\"task\": \"sst2\", \"inputs\": {\"text\": \"a\"}}", 400, "inputs"},
                {"/v1/predict", "{\"task\": \"sst2\", \"inputs\": [\"a\"]}", 400, "inputs[0]"},
                {"/v1/predict", "{\"task\": \"sst2\", \"inputs\": [{\"text\": \"\"}]}", 400, "inputs[0].text"},
                {"/v1/predict", "{\"task\": \"sst2\", \"inputs\": [{\"text\": \"a\", \"pair\": 7}]}", 400, "inputs[0].pair"},
                {"/v1/predict", "{\"task\": \"sst2\", \"inputs\": [{\"question\": \"a\", \"choices\": [\"x\", \"y\"]}]}", 400, "inputs[0].choices"},
                {"/v1/predict", "{\"task\": \"arc-e\", \"inputs\": [{\"text\": \"a\"}]}", 400, "inputs[0].question"},
                {"/v1/predict", "{\"task\": \"arc-e\", \"inputs\": [{\"question\": \"a\", \"choices\": [\"x\"]}]}", 400, "inputs[0].choices"},
                {"/v1/predict", "{\"task\": \"arc-e\", \"inputs\": [{\"question\": \"a\", \"choices\": [\"x\", \"\"]}]}", 400, "inputs[0].choices[1]"},
                {"/v1/completions", "{\"prompt\": \"Once\"}", 400, "model"},
        };
        for (Object[] c : cases) {
            Reply r = post(server, (String) c[0], (String) c[1]);
            String what = c[0] + " " + ((String) c[1]).substring(0, Math.min(80, ((String) c[1]).length()));
            assertThat(r.status()).as(what + " -> " + r.raw().body()).isEqualTo(c[2]);
            assertThat(r.body()).as(what).isNotNull();
            JsonNode e = r.body().get("error");
            assertThat(e.get("message").asText()).as(what).isNotBlank();
            assertThat(e.get("param").isNull() ? null : e.get("param").asText()).as(what + ": " + e).isEqualTo(c[3]);
        }
        Reply nf = get(server, "/v1/nothing");
        assertThat(nf.status()).isEqualTo(404);
        // nothing above hurt the server
        assertThat(get(server, "/health").status()).isEqualTo(200);
        assertThat(post(server, "/v1/predict", "{\"task\": \"sst2\", \"inputs\": [{\"text\": \"fine\"}]}").status()).isEqualTo(200);
    }

    @Test
    void aFailingInputDoesNotPoisonItsBatch() throws Exception {
        // an input the model itself refuses (after validation) shares a batch with good ones: only it fails
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String body = i == 3 ? "{\"task\": \"sst2\", \"inputs\": [{\"text\": \"ok\"}], \"poison\": true}" : "{\"task\": \"sst2\", \"inputs\": [{\"text\": \"ok\"}]}";
            replies.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return post(server, "/v1/predict", body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<Reply> r : replies) {
            assertThat(r.get().status()).isEqualTo(200); // unknown top-level fields are ignored, as OpenAI-style servers do
        }
        // the batcher retries a failed batch request by request: a model-side failure stays with its request
        AdaptedModel.Input good = AdaptedModel.Input.text("sst2", "fine");
        AdaptedModel.Input bad = AdaptedModel.Input.text("cola", "fine"); // not a task of this adapter: the model throws
        ServeMetrics m = new ServeMetrics(() -> 0, () -> 0);
        try (Batcher b = new Batcher(model, new Server.Options.Batching(true, 200_000, 8192, 16), m)) {
            Batcher.Job j1 = Batcher.Job.predict(List.of(good), 3);
            Batcher.Job j2 = Batcher.Job.predict(List.of(bad), 3);
            Batcher.Job j3 = Batcher.Job.predict(List.of(good), 3);
            assertThat(b.submit(j1) && b.submit(j2) && b.submit(j3)).isTrue();
            assertThat(j1.result.get()).hasSize(1);
            assertThat(j3.result.get()).hasSize(1);
            assertThatThrownBy(() -> j2.result.get()).hasCauseInstanceOf(MooreException.class).hasMessageContaining("unknown task 'cola'");
        }
    }

    /**
     * Holds the model (its calls are synchronized on it) so that the model thread blocks in its first job:
     * what the server then does no longer depends on how fast this machine is.
     */
    private static void awaitModelThreadBlocked() throws InterruptedException {
        long guard = System.nanoTime() + 120_000_000_000L; // a hang guard, not a timing assertion
        while (Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("moore-batcher") && t.getState() == Thread.State.BLOCKED)) {
            assertThat(System.nanoTime()).as("the model thread took its first job").isLessThan(guard);
            Thread.sleep(5);
        }
    }

    private static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long guard = System.nanoTime() + 120_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(guard);
            Thread.sleep(5);
        }
    }

    /** A request from a thread of its own (the common pool may have a single worker on a 2-core machine). */
    private CompletableFuture<Reply> postAsync(Server s, String path, String body) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(post(s, path, body));
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        }, "test-client");
        t.setDaemon(true);
        t.start();
        return f;
    }

    @Test
    void aFullQueueAnswers429NotAStall() throws Exception {
        try (Server small = Server.start(model, options(false, 0, 1))) {
            String heavy = Server.json(Map.of("input", Collections.nCopies(8, "the plot moves slowly but the ending pays off in the end"), "task", "sst2"));
            CompletableFuture<Reply> running;
            CompletableFuture<Reply> queued;
            Reply refused;
            synchronized (model) {
                running = postAsync(small, "/v1/embeddings", heavy);
                awaitModelThreadBlocked(); // the first request is on the model thread
                queued = postAsync(small, "/v1/embeddings", heavy);
                awaitUntil("the second request is queued", () -> {
                    try {
                        return get(small, "/health").body().get("queue_depth").asInt() == 1;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                refused = post(small, "/v1/embeddings", heavy); // the queue (limit 1) is full: answered at once, not stalled
            }
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.raw().headers().firstValue("Retry-After")).contains("1");
            assertThat(refused.body().get("error").get("type").asText()).isEqualTo("rate_limit_error");
            assertThat(running.get().status()).isEqualTo(200);
            assertThat(queued.get().status()).isEqualTo(200);
        }
    }

    @Test
    void aRequestNotAnsweredInTimeGets503() throws Exception {
        Server.Options quick = new Server.Options(new Server.Options.Listen("127.0.0.1", 0), new Server.Options.Batching(false, 0, 8192, 64),
                new Server.Options.Limits(64, 1 << 20, 1, 64, 10_000));
        try (Server s = Server.start(model, quick)) {
            String body = Server.json(Map.of("input", List.of("the plot moves slowly")));
            Reply r;
            synchronized (model) { // the model cannot answer before the 1 ms are up, however fast this machine is
                r = post(s, "/v1/embeddings", body);
            }
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body().get("error").get("message").asText()).contains("timed out after 1 ms");
            assertThat(get(s, "/health").status()).isEqualTo(200); // and the server goes on
        }
    }

    @Test
    void langchain4jOpenAiClientGetsTheSameVectors() {
        OpenAiEmbeddingModel client = OpenAiEmbeddingModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("not-needed").modelName("moore")
                .timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        List<Embedding> got = client.embedAll(TEXTS.stream().map(TextSegment::from).toList()).content();
        float[][] want = model.embed(TEXTS, (String) null);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(maxDiff(got.get(i).vector(), want[i])).isLessThanOrEqualTo(1e-5);
        }
        // the task travels as a custom parameter of the same client
        OpenAiEmbeddingModel routed = OpenAiEmbeddingModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("not-needed").modelName("moore")
                .customParameters(Map.of("task", "stsb")).maxRetries(0).build();
        assertThat(maxDiff(routed.embed(TEXTS.get(0)).content().vector(), model.embed(List.of(TEXTS.get(0)), "stsb")[0])).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void mooreEmbeddingModelIsTheLibraryApiForLangchain4j() {
        MooreEmbeddingModel em = new MooreEmbeddingModel(model, "sst2", 2);
        List<Embedding> got = em.embedAll(TEXTS.stream().map(TextSegment::from).toList()).content();
        float[][] want = model.embed(TEXTS, "sst2");
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(maxDiff(got.get(i).vector(), want[i])).isLessThanOrEqualTo(1e-5);
        }
        assertThat(em.dimension()).isEqualTo(384);
        assertThatThrownBy(() -> new MooreEmbeddingModel(model, "cola")).isInstanceOf(MooreException.class).hasMessageContaining("sst2, stsb, arc-e");
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        JsonNode models = get(server, "/v1/models").body();
        JsonNode m = models.get("data").get(0);
        assertThat(m.get("kind").asText()).isEqualTo("encoder");
        assertThat(m.get("tasks").findValuesAsText("name")).containsExactly("sst2", "stsb", "arc-e");
        assertThat(m.get("tasks").findValuesAsText("kind")).containsExactly("classification", "regression", "multiple-choice");
        assertThat(get(server, "/health").body().get("status").asText()).isEqualTo("ok");
        post(server, "/v1/embeddings", "{\"input\": \"hello\"}");
        Reply metrics = get(server, "/metrics");
        assertThat(metrics.raw().headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String t = metrics.raw().body();
        assertThat(t).contains("moore_requests_total{endpoint=\"/v1/embeddings\",status=\"200\"}", "moore_request_seconds_bucket{endpoint=\"/v1/embeddings\",le=\"+Inf\"}",
                "moore_batch_inputs_count", "moore_queue_depth 0", "moore_errors_total");
        assertThat(LoadBench.metrics(t).get("process_resident_memory_bytes")).isGreaterThan(1e8);
    }

    @Test
    void closingDrainsWhatWasAccepted() throws Exception {
        Server s = Server.start(model, options(false, 0, 64));
        String body = Server.json(Map.of("input", Collections.nCopies(32, "the plot moves slowly but the ending pays off"), "task", "stsb"));
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        synchronized (model) { // none can be answered until all six are admitted
            for (int i = 0; i < 6; i++) {
                replies.add(postAsync(s, "/v1/embeddings", body));
            }
            awaitUntil("six requests admitted", () -> LoadBench.metrics(s.metricsText()).getOrDefault("moore_in_flight_requests", 0.0) >= 6);
        }
        s.close(); // returns once every accepted request is answered
        assertThat(s.answered(200)).as("answered before close returned").isEqualTo(6);
        for (CompletableFuture<Reply> r : replies) {
            assertThat(r.get().status()).isEqualTo(200);
        }
    }

    @Test
    void completionsStreamTheSameTextAsWholeAndAsTheLibrary() throws Exception {
        Path dec = dir.resolve("dec");
        Out save = cli("moeize", "stories260K", "--targets", "q_proj,v_proj", "--tasks", "examples/stories-tasks/mood.yaml,examples/stories-tasks/pet.yaml",
                "--save", dec.toString(), "--threads", TestSupport.THREADS);
        assertThat(save.code()).as(save.err()).isZero();
        try (AdaptedModel d = AdaptedModel.open(dec, Engines.defaultThreads()); Server s = Server.start(d, options(true, 2000, 64))) {
            String want = d.generate("Once upon a time", AdaptedModel.GenerateOptions.greedy(24), "mood", null).text();
            Reply whole = post(s, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0, \"task\": \"mood\"}");
            assertThat(whole.status()).as(whole.raw().body()).isEqualTo(200);
            JsonNode c = whole.body().get("choices").get(0);
            assertThat(c.get("text").asText()).isEqualTo(want).isNotBlank();
            assertThat(c.get("finish_reason").asText()).isEqualTo("length");
            assertThat(whole.body().get("usage").get("completion_tokens").asInt()).isEqualTo(24);
            Reply streamed = post(s, "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0, \"task\": \"mood\", \"stream\": true}");
            assertThat(streamed.raw().headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            List<String> events = streamed.raw().body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
            StringBuilder text = new StringBuilder();
            for (String e : events.subList(0, events.size() - 1)) {
                text.append(JSON.readTree(e).get("choices").get(0).get("text").asText());
            }
            assertThat(text.toString()).isEqualTo(want);
            assertThat(events.size()).isGreaterThan(10); // piece by piece, not one blob
            JsonNode last = JSON.readTree(events.get(events.size() - 2));
            assertThat(last.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
            // sampling is reproducible from the seed
            String sampled = "{\"prompt\": \"Once\", \"max_tokens\": 16, \"temperature\": 0.8, \"top_p\": 0.9, \"seed\": 7}";
            assertThat(post(s, "/v1/completions", sampled).body().get("choices").get(0).get("text").asText())
                    .isEqualTo(post(s, "/v1/completions", sampled).body().get("choices").get(0).get("text").asText());
            Object[][] bad = {
                    {"{\"max_tokens\": 5}", "prompt"}, {"{\"prompt\": \"\"}", "prompt"}, {"{\"prompt\": \"a\", \"max_tokens\": 0}", "max_tokens"},
                    {"{\"prompt\": \"a\", \"max_tokens\": 65}", "max_tokens"}, {"{\"prompt\": \"a\", \"temperature\": -1}", "temperature"},
                    {"{\"prompt\": \"a\", \"top_p\": 0}", "top_p"}, {"{\"prompt\": \"a\", \"n\": 2}", "n"}, {"{\"prompt\": \"a\", \"stop\": [\"\"]}", "stop"},
                    {"{\"prompt\": \"a\", \"task\": \"weather\"}", "task"}, {"{\"prompt\": \"a\", \"seed\": \"x\"}", "seed"},
            };
            for (Object[] b : bad) {
                Reply r = post(s, "/v1/completions", (String) b[0]);
                assertThat(r.status()).as(b[0] + " -> " + r.raw().body()).isEqualTo(400);
                assertThat(r.body().get("error").get("param").asText()).isEqualTo(b[1]);
            }
            assertThat(post(s, "/v1/embeddings", "{\"input\": \"a\"}").body().get("error").get("param").asText()).isEqualTo("model");
        }
    }

    @Test
    void cliOptionsOutsideTheirDomainAreRefused() {
        Out port = cli("serve", "--model", "minilm", "--port", "70000");
        assertThat(port.code()).isEqualTo(2);
        assertThat(port.err()).contains("--port").contains("70000");
        Out queue = cli("serve", "--model", "minilm", "--queue-limit", "0");
        assertThat(queue.code()).isEqualTo(2);
        assertThat(queue.err()).contains("--queue-limit");
        Out both = cli("serve");
        assertThat(both.code()).isEqualTo(2);
        Out task = cli("embed", "minilm", "--task", "sst2", "hi");
        assertThat(task.code()).isEqualTo(2);
        assertThat(task.err()).contains("--task needs --adapter");
        Out remote = cli("serve-bench", "--url", "http://example.com:80");
        assertThat(remote.code()).isEqualTo(2);
        assertThat(remote.err()).contains("loopback");
    }

    @Test
    void theExamplesCompileAgainstThePublicApi() throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        Path out = dir.resolve("examples-classes");
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path")));
        try (var files = Files.list(Path.of("examples", "java"))) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
        }
        assertThat(args).hasSizeGreaterThanOrEqualTo(6);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = javac.run(null, null, err, args.toArray(String[]::new));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    }
}
