package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.serve.DecodeBench;
import dev.moore4j.serve.LoadBench;
import dev.moore4j.serve.Server;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code moore serve-bench}: the load test of docs/results/serving.md. Over loopback only, bounded in
 * requests and time; with {@code --adapter} it serves the adapter in this process twice, cross-task
 * batching on then off, and reports the speed-up; with {@code --url} it measures a running server.
 */
@Command(name = "serve-bench", description = "Load-test the server: concurrent clients, mixed tasks; throughput and p50/p99 latency with "
        + "cross-task batching on and off (loopback only).")
final class ServeBenchCommand implements Runnable {
    @Mixin
    Common common;

    /** The adapter (or base model) to serve in this process, batching on then off. */
    @Mixin
    ModelSource source;

    @Option(names = "--url", description = "Measure a running server instead (e.g. http://127.0.0.1:8080); must be loopback.")
    String url;

    @Option(names = "--clients", description = "Concurrent clients. Default: ${DEFAULT-VALUE}.")
    int clients = 200;

    @Option(names = "--requests", description = "Requests per mode. Default: ${DEFAULT-VALUE}.")
    int requests = 10_000;

    @Option(names = "--max-seconds", description = "Time limit per mode. Default: ${DEFAULT-VALUE}.")
    int maxSeconds = 600;

    @Option(names = "--modes", split = ",", description = "With --adapter/--model: batching modes to run, of on,off. Default: on,off.")
    List<String> modes = List.of("on", "off");

    @Option(names = "--seed", description = "Seed of the request mix. Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--decode", description = "A decoder: streamed greedy completions at each --concurrency (continuous batching), then "
            + "batching off; tokens/s, time to first token, and whether each answer equals its one-at-a-time answer.")
    boolean decode;

    @Option(names = "--concurrency", split = ",", description = "With --decode: concurrent clients to measure. Default: 1,4,16,64.")
    List<Integer> concurrency = List.of(1, 4, 16, 64);

    @Option(names = "--decode-requests", description = "With --decode: requests per concurrency. Default: ${DEFAULT-VALUE}.")
    int decodeRequests = 64;

    @Option(names = "--max-tokens", description = "With --decode: tokens per answer. Default: ${DEFAULT-VALUE}.")
    int maxTokens = 32;

    @Override
    public void run() {
        if (decode) {
            runDecode();
            return;
        }
        Common.range("--clients", clients, 1, 2000);
        Common.range("--requests", requests, 1, 10_000_000);
        Common.range("--max-seconds", maxSeconds, 1, 86_400);
        boolean local = source.hasAdapter() || source.model != null;
        if (local == (url != null)) {
            throw new MooreException("serve-bench: give --adapter and/or --model (served here), or --url (a running server)");
        }
        if (url != null && !url.matches("https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:\\d+)?/?")) {
            throw new MooreException("--url: the load test runs over loopback only (127.0.0.1, localhost, [::1]), got " + url);
        }
        List<LoadBench.Result> results = new ArrayList<>();
        try {
            if (url != null) {
                results.add(LoadBench.run(url.replaceAll("/$", ""), "external", clients, requests, maxSeconds, seed));
            } else {
                try (AdaptedModel m = source.open(common, null, "serve-bench")) {
                    for (String mode : modes) {
                        if (!mode.equals("on") && !mode.equals("off")) {
                            throw new MooreException("--modes: 'on' or 'off', got '" + mode + "'");
                        }
                        Server.Options o = Server.Options.DEFAULTS.with(new Server.Options.Listen("127.0.0.1", 0))
                                .with(new Server.Options.Batching(mode.equals("on"), 2000, 8192, Math.max(1024, 2 * clients)));
                        try (Server s = Server.start(m, o)) {
                            results.add(LoadBench.run(s.baseUrl(), "batching " + mode, clients, requests, maxSeconds, seed));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new MooreException("serve-bench: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", local ? source.describe(null) : url);
        out.put("threads", common.threads());
        out.put("results", results);
        if (results.size() == 2) {
            out.put("speedup", results.get(0).throughput() / results.get(1).throughput());
        }
        if (common.json) {
            common.printJson(out);
            return;
        }
        System.out.println("| mode | clients | requests | errors | seconds | requests/s | p50 ms | p99 ms | requests per forward | RSS before → after MB |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (LoadBench.Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %d → %d |%n", r.mode(), r.clients(), r.requests(), r.errors(),
                    r.seconds(), r.throughput(), r.p50Ms(), r.p99Ms(), r.meanRequestsPerBatch(), r.rssBeforeBytes() >> 20, r.rssAfterBytes() >> 20);
        }
        if (out.containsKey("speedup")) {
            System.out.printf(Locale.ROOT, "speed-up of cross-task batching: %.2fx%n", (double) out.get("speedup"));
        }
    }

    /** The decoder bench: each concurrency with the decode loop, then one at a time (batching off) at the largest up to 16. */
    private void runDecode() {
        Common.range("--decode-requests", decodeRequests, 1, 1_000_000);
        Common.range("--max-tokens", maxTokens, 1, 100_000);
        concurrency.forEach(c -> Common.range("--concurrency", c, 1, 2000));
        if (url != null || !(source.hasAdapter() || source.model != null)) {
            throw new MooreException("serve-bench --decode: give --adapter and/or --model (a decoder, served here)");
        }
        List<DecodeBench.Result> results = new ArrayList<>();
        Map<String, String> reference = new java.util.concurrent.ConcurrentHashMap<>();
        try (AdaptedModel m = source.open(common, null, "serve-bench")) {
            if (m.isEncoder()) {
                throw new MooreException(source.describe(null) + ": --decode needs a decoder");
            }
            List<String> tasks = m.tasks().stream().map(AdaptedModel.TaskInfo::name).toList();
            int most = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
            Server.Options on = Server.Options.DEFAULTS.with(new Server.Options.Listen("127.0.0.1", 0))
                    .with(new Server.Options.Batching(true, 2000, 8192, Math.max(1024, 2 * most)))
                    .with(new Server.Options.Limits(256, 1 << 20, 600_000, Math.max(1024, maxTokens), 10_000));
            try (Server s = Server.start(m, on)) {
                DecodeBench.run(s.baseUrl(), "warm-up", 1, Math.min(8, decodeRequests), maxTokens, tasks, new java.util.HashMap<>());
                for (int c : concurrency) {
                    results.add(DecodeBench.run(s.baseUrl(), "batched", c, decodeRequests, maxTokens, tasks, reference));
                }
            }
            int off = Math.min(16, most);
            try (Server s = Server.start(m, on.with(new Server.Options.Batching(false, 0, 8192, Math.max(1024, 2 * most))))) {
                results.add(DecodeBench.run(s.baseUrl(), "one at a time", off, decodeRequests, maxTokens, tasks, reference));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", source.describe(null));
        out.put("threads", common.threads());
        out.put("max_tokens", maxTokens);
        out.put("results", results);
        if (common.json) {
            common.printJson(out);
            return;
        }
        System.out.println("| mode | clients | requests | errors | seconds | tokens | tokens/s | first token p50 ms | p99 ms | answers ≠ alone |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (DecodeBench.Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.1f | %d | %.1f | %.0f | %.0f | %d |%n", r.mode(), r.clients(), r.requests(), r.errors(),
                    r.seconds(), r.tokens(), r.tokensPerSecond(), r.ttftP50Ms(), r.ttftP99Ms(), r.answersDifferent());
        }
    }
}
