package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.moore4j.engine.Engines;
import dev.moore4j.linalg.Svd;

import picocli.CommandLine.Option;

/** Options every command takes. */
public final class Common {
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    @Option(names = "--json", description = "Print one JSON object on stdout (logs go to stderr).")
    boolean json;

    @Option(names = "--threads", description = "Compute threads (libtorch and OpenBLAS). Default: $MOORE4J_THREADS or all cores.")
    int threads = Engines.defaultThreads();

    /** The thread count, refused outside [1, 1024]. */
    int threads() {
        range("--threads", threads, 1, 1024);
        return threads;
    }

    NDManager manager() {
        threads();
        Svd.setThreads(threads);
        return Engines.newManager(threads);
    }

    void printJson(Object value) {
        try {
            System.out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Refuses a numeric option outside [min, max], naming the flag (a user error: status 2). */
    static void range(String flag, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(flag + " must be " + (max == Long.MAX_VALUE || max == Integer.MAX_VALUE ? "at least " + min
                    : "in [" + min + ", " + max + "]") + ", got " + value);
        }
    }

    /** Refuses a real-valued option outside [min, max] (or not a number), naming the flag. */
    static void range(String flag, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(flag + " must be in [" + min + ", " + max + "], got " + value);
        }
    }
}
