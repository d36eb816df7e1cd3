package dev.moore4j;

import ai.djl.ndarray.NDManager;

import dev.moore4j.cli.Main;
import dev.moore4j.engine.Engines;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * Shared set-up for tests: one engine configuration, with the compute threads of {@code $MOORE4J_THREADS}
 * (surefire sets 1: two test JVMs share the two cores).
 */
public final class TestSupport {
    /** The {@code --threads} of command lines run in tests. */
    public static final String THREADS = Integer.toString(Engines.defaultThreads());

    private TestSupport() {}

    public static NDManager manager() {
        return Engines.newManager(Engines.defaultThreads());
    }

    /** What a command line printed and returned. */
    public record CliRun(int code, String out, String err) {}

    /** Runs a {@code moore} command line in this JVM, capturing stdout and stderr. */
    public static CliRun cli(String... args) {
        return capture(() -> Main.execute(args));
    }

    /** Runs a command's entry point in this JVM (it returns the exit code), capturing stdout and stderr. */
    public static CliRun capture(IntSupplier command) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = command.getAsInt();
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
