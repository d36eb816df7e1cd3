package dev.moore4j.serve;

import dev.moore4j.util.MemoryStats;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** The server's counters, rendered in the Prometheus text format (version 0.0.4) by {@link #render}. */
final class ServeMetrics {
    private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>(); // endpoint|status
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>(); // endpoint
    private final Histogram batchRequests = new Histogram(BATCH_BUCKETS);
    private final Histogram batchInputs = new Histogram(BATCH_BUCKETS);
    private final IntSupplier queueDepth;
    private final IntSupplier inFlight;

    ServeMetrics(IntSupplier queueDepth, IntSupplier inFlight) {
        this.queueDepth = queueDepth;
        this.inFlight = inFlight;
    }

    /** A cumulative histogram with a sum, safe to update from many threads. */
    static final class Histogram {
        final double[] bounds;
        final AtomicLongArray counts;
        final LongAdder count = new LongAdder();
        final DoubleAdder sum = new DoubleAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLongArray(bounds.length);
        }

        void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    counts.incrementAndGet(i);
                }
            }
            count.increment();
            sum.add(v);
        }

        void render(StringBuilder sb, String name, String labels) {
            String sep = labels.isEmpty() ? "" : labels + ",";
            for (int i = 0; i < bounds.length; i++) {
                sb.append(String.format(Locale.ROOT, "%s_bucket{%sle=\"%s\"} %d%n", name, sep, fmt(bounds[i]), counts.get(i)));
            }
            sb.append(String.format(Locale.ROOT, "%s_bucket{%sle=\"+Inf\"} %d%n", name, sep, count.sum()));
            String l = labels.isEmpty() ? "" : "{" + labels + "}";
            sb.append(String.format(Locale.ROOT, "%s_sum%s %s%n%s_count%s %d%n", name, l, fmt(sum.sum()), name, l, count.sum()));
        }
    }

    void request(String endpoint, int status, double seconds) {
        requests.computeIfAbsent(endpoint + "|" + status, k -> new LongAdder()).increment();
        latency.computeIfAbsent(endpoint, k -> new Histogram(LATENCY_BUCKETS)).observe(seconds);
    }

    /** One forward pass of {@code requests} requests and {@code inputs} inputs. */
    void batch(int requestCount, int inputs) {
        batchRequests.observe(requestCount);
        batchInputs.observe(inputs);
    }

    long requestCount(int status) {
        return requests.entrySet().stream().filter(e -> e.getKey().endsWith("|" + status)).mapToLong(e -> e.getValue().sum()).sum();
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP moore_requests_total HTTP requests by endpoint and status.\n# TYPE moore_requests_total counter\n");
        new TreeMap<>(requests).forEach((k, v) -> {
            String[] p = k.split("\\|");
            sb.append(String.format(Locale.ROOT, "moore_requests_total{endpoint=\"%s\",status=\"%s\"} %d%n", p[0], p[1], v.sum()));
        });
        sb.append("# HELP moore_errors_total HTTP requests answered with a 4xx or 5xx status.\n# TYPE moore_errors_total counter\n");
        long errors = requests.entrySet().stream().filter(e -> e.getKey().matches(".*\\|[45]\\d\\d")).mapToLong(e -> e.getValue().sum()).sum();
        sb.append("moore_errors_total ").append(errors).append('\n');
        sb.append("# HELP moore_request_seconds Request latency, received to answered.\n# TYPE moore_request_seconds histogram\n");
        new TreeMap<>(latency).forEach((k, h) -> h.render(sb, "moore_request_seconds", "endpoint=\"" + k + "\""));
        sb.append("# HELP moore_batch_requests Requests per forward pass.\n# TYPE moore_batch_requests histogram\n");
        batchRequests.render(sb, "moore_batch_requests", "");
        sb.append("# HELP moore_batch_inputs Inputs (texts) per forward pass.\n# TYPE moore_batch_inputs histogram\n");
        batchInputs.render(sb, "moore_batch_inputs", "");
        sb.append("# HELP moore_queue_depth Requests waiting for the model.\n# TYPE moore_queue_depth gauge\n");
        sb.append("moore_queue_depth ").append(queueDepth.getAsInt()).append('\n');
        sb.append("# HELP moore_in_flight_requests Requests received and not yet answered.\n# TYPE moore_in_flight_requests gauge\n");
        sb.append("moore_in_flight_requests ").append(inFlight.getAsInt()).append('\n');
        sb.append("# HELP process_resident_memory_bytes Resident set size of the server process.\n# TYPE process_resident_memory_bytes gauge\n");
        sb.append("process_resident_memory_bytes ").append(Math.max(0, MemoryStats.rssBytes())).append('\n');
        return sb.toString();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
