package dev.moore4j.task;

import dev.moore4j.MooreException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The lines of a data file, read within limits, so that a hostile file is refused before it costs more memory than they allow. */
final class BoundedLines {
    private BoundedLines() {}

    /**
     * Limits on what a data file may make us hold, each raisable by an environment variable: file size
     * ({@code MOORE4J_MAX_DATA_MB}, 512), rows ({@code MOORE4J_MAX_ROWS}, 5,000,000) and row length
     * ({@code MOORE4J_MAX_ROW_KB}, 1024). Checked before (size) and while (rows, row length) reading, so a
     * hostile file is refused before it costs more memory than the limits allow.
     */
    record Limits(long maxBytes, long maxRows, long maxRowChars) {
        static Limits fromEnv() {
            return new Limits(env("MOORE4J_MAX_DATA_MB", 512) << 20, env("MOORE4J_MAX_ROWS", 5_000_000), env("MOORE4J_MAX_ROW_KB", 1024) << 10);
        }

        private static long env(String name, long dflt) {
            String v = System.getenv(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                long x = Long.parseLong(v.trim());
                if (x < 1) {
                    throw new NumberFormatException();
                }
                return x;
            } catch (NumberFormatException e) {
                throw new MooreException("$" + name + " must be a positive integer, got '" + v + "'");
            }
        }
    }

    static List<String> read(Path file) {
        return read(file, Limits.fromEnv());
    }

    static List<String> read(Path file, Limits lim) {
        try {
            long size = Files.size(file);
            if (size > lim.maxBytes()) {
                throw new MooreException(file + ": " + size + " bytes, over the limit of " + (lim.maxBytes() >> 20) + " MiB for a data file (raise $MOORE4J_MAX_DATA_MB)");
            }
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                StringBuilder sb = new StringBuilder();
                int c;
                while ((c = r.read()) != -1 || sb.length() > 0) {
                    if (c == -1 || c == '\n') {
                        if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                            sb.setLength(sb.length() - 1);
                        }
                        if (lines.size() >= lim.maxRows()) {
                            throw new MooreException(file + ": more than " + lim.maxRows() + " rows (raise $MOORE4J_MAX_ROWS)");
                        }
                        lines.add(sb.toString());
                        sb.setLength(0);
                        if (c == -1) {
                            break;
                        }
                    } else {
                        if (sb.length() >= lim.maxRowChars()) {
                            throw new MooreException(file + ":" + (lines.size() + 1) + ": row longer than " + (lim.maxRowChars() >> 10)
                                    + " KiB characters (raise $MOORE4J_MAX_ROW_KB)");
                        }
                        sb.append((char) c);
                    }
                }
            }
            return lines;
        } catch (MalformedInputException e) {
            throw new MooreException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new MooreException(file + ": cannot read: " + e.getMessage());
        }
    }
}
