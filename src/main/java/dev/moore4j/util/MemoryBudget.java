package dev.moore4j.util;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The bytes a run may use, and where the figure came from ({@code --memory-budget}, the machine, its cgroup). */
public record MemoryBudget(long bytes, Kind kind, String from) {
    /** Where the figure came from: the machine (auto), the user (a size), or nowhere (off, or no figure to read). */
    public enum Kind {
        AUTO, GIVEN, OFF
    }

    /** No limit: {@code --memory-budget off}. */
    public boolean unlimited() {
        return bytes == Long.MAX_VALUE;
    }

    /**
     * {@code --memory-budget}: {@code auto} (what the machine, or the cgroup the process runs in, has available now,
     * plus what the process already holds, less a margin of 5 % or 256 MB, whichever is more), {@code off}, or a size
     * such as {@code 12g}, {@code 800m}, {@code 12GB}.
     */
    public static MemoryBudget parse(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("off") || s.equals("none")) {
            return new MemoryBudget(Long.MAX_VALUE, Kind.OFF, "off");
        }
        if (!s.equals("auto")) {
            return new MemoryBudget(parseSize(spec), Kind.GIVEN, "--memory-budget");
        }
        long held = Math.max(0, MemoryStats.rssBytes());
        long available = MemoryStats.kbField(Path.of("/proc/meminfo"), "MemAvailable:");
        String from = "the machine's available memory";
        long cgroupMax = cgroup("memory.max");
        long cgroupUsed = cgroup("memory.current");
        if (cgroupMax > 0 && cgroupUsed >= 0 && (available < 0 || cgroupMax - cgroupUsed < available)) {
            available = cgroupMax - cgroupUsed;
            from = "the cgroup's memory.max";
        }
        if (available < 0) {
            return new MemoryBudget(Long.MAX_VALUE, Kind.OFF, "unknown (no /proc/meminfo)");
        }
        long total = held + available;
        return new MemoryBudget(total - Math.max(256L << 20, total / 20), Kind.AUTO, from + ", less a margin");
    }

    /** A size: a number with an optional unit k, m, g, t (or kb, mb, gb, tb; powers of 1024; none = bytes). */
    static long parseSize(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT).replaceAll("i?b$", "");
        long unit = 1;
        if (!s.isEmpty() && "kmgt".indexOf(s.charAt(s.length() - 1)) >= 0) {
            unit = 1L << (10 * ("kmgt".indexOf(s.charAt(s.length() - 1)) + 1));
            s = s.substring(0, s.length() - 1);
        }
        try {
            double v = Double.parseDouble(s.trim());
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new MooreException("memoryBudget: '" + spec + "' is not a size (use auto, off, or a size such as 12g or 800m)");
        }
    }

    /** A cgroup v2 memory file of this process's group, or -1 (none, "max", not readable). */
    private static long cgroup(String file) {
        try {
            String group = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::")).map(l -> l.substring(3))
                    .findFirst().orElse(null);
            if (group == null) {
                return -1;
            }
            Path p = Path.of("/sys/fs/cgroup" + group, file);
            if (!Files.isReadable(p)) {
                p = Path.of("/sys/fs/cgroup", file);
            }
            String v = Files.readString(p).trim();
            return v.equals("max") ? -1 : Long.parseLong(v);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
