package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
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

    @Override
    public void run() {
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
                        Server.Options o = Server.Options.builder().port(0).batching(mode.equals("on")).queueLimit(Math.max(1024, 2 * clients)).build();
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
}
