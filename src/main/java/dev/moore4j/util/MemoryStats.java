package dev.moore4j.util;

import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size and the bytes held by a model's native tensors. */
public final class MemoryStats {
    private MemoryStats() {}

    /** VmRSS of this process (Linux), or -1 where /proc is not available. */
    public static long rssBytes() {
        return statusBytes("VmRSS:");
    }

    /** Peak resident set size (VmHWM) since the process started or the last {@link #resetPeak}, or -1. */
    public static long peakRssBytes() {
        return statusBytes("VmHWM:");
    }

    /** A kB field of /proc/self/status in bytes, or -1. */
    private static long statusBytes(String field) {
        return kbField(Path.of("/proc/self/status"), field);
    }

    /** Bytes of a "Field: N kB" line of a /proc file (status, meminfo), or -1 where it cannot be read. */
    static long kbField(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Starts a new peak measurement (Linux: writing 5 to clear_refs resets VmHWM); false where unsupported. */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * RSS minus what the JVM has committed for its heap and non-heap pools: an estimate of native
     * (libtorch, OpenBLAS) memory that garbage-collector heap resizing does not blur.
     */
    public static long nativeRssBytes() {
        var mx = ManagementFactory.getMemoryMXBean();
        return rssBytes() - mx.getHeapMemoryUsage().getCommitted() - mx.getNonHeapMemoryUsage().getCommitted();
    }

    /** Bytes of the live arrays a manager owns (for a model's manager: weights, factors, adapter tensors). */
    public static long tensorBytes(NDManager manager) {
        return manager.getManagedArrays().stream().filter(a -> !a.isReleased())
                .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes()).sum();
    }
}
