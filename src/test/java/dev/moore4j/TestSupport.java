package dev.moore4j;

import ai.djl.ndarray.NDManager;

import dev.moore4j.engine.Engines;

/** Shared set-up for tests: one engine configuration, two threads like CI. */
public final class TestSupport {
    private TestSupport() {}

    public static NDManager manager() {
        return Engines.newManager(2);
    }

    /** What a command line printed and returned. */
    public record CliRun(int code, String out, String err) {}

    /** Runs a {@code moore} command line in this JVM, capturing stdout and stderr. */
    public static CliRun cli(String... args) {
        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            int code = dev.moore4j.cli.Main.execute(args);
            return new CliRun(code, out.toString(java.nio.charset.StandardCharsets.UTF_8), err.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
