package dev.moore4j.fuzz;

import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.harness.SuiteSpec;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bounded fuzz run of CI: for every target, a fixed budget of mutations (bit flips, byte changes,
 * cuts, splices, repeated chunks, extreme integers) of its corpus, seeded, so a failure reproduces. Jazzer
 * fuzzing proper (coverage-guided, one target per JVM) is {@code scripts/fuzz.sh}; what it finds goes into
 * the corpus, which {@link ReaderFuzzTest} replays. The budget is a count, not a time, so that CI runs exactly
 * the inputs a local run did: {@code -Dmoore4j.fuzz.execs} per target (1500; a tenth for the adapter targets,
 * which load a model each time).
 */
class MutationSmokeTest {
    static final Path CORPUS = Path.of("src/test/resources/dev/moore4j/fuzz/ReaderFuzzTestInputs");

    @TestFactory
    Stream<DynamicTest> everyTargetSurvivesMutationsOfItsCorpus() {
        long execs = Long.getLong("moore4j.fuzz.execs", 1500);
        return Targets.all().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(),
                () -> run(e.getKey(), e.getValue(), e.getKey().startsWith("adapter") ? Math.max(1, execs / 10) : execs)));
    }

    static void run(String name, Consumer<byte[]> target, long budget) {
        List<byte[]> seeds = seeds(name);
        assertThat(seeds).as(name + " has a corpus").isNotEmpty();
        Random rnd = new Random(name.hashCode());
        int execs = 0;
        for (byte[] s : seeds) {
            Targets.check(name, s, target);
            execs++;
        }
        long t0 = System.nanoTime();
        for (long i = 0; i < budget; i++) {
            byte[] in = mutate(seeds.get(rnd.nextInt(seeds.size())), seeds.get(rnd.nextInt(seeds.size())), rnd);
            try {
                Targets.check(name, in, target);
            } catch (AssertionError e) {
                throw new AssertionError(name + ": finding on input (base64) " + Base64.getEncoder().encodeToString(in), e);
            }
            execs++;
        }
        System.err.printf("fuzz %s: %d executions over %d seeds in %.1f s%n", name, execs, seeds.size(), (System.nanoTime() - t0) / 1e9);
    }

    static List<byte[]> seeds(String name) {
        List<byte[]> out = new ArrayList<>();
        Path dir = CORPUS.resolve(name);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    out.add(Files.readAllBytes(f));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (name.equals("suiteYaml")) { // the shipped suites, as a user copies and edits them (moore suite --show)
            for (String suite : List.of("demo", "nlu-mtl", "csr-mtl")) {
                out.add(SuiteSpec.builtInText(suite).getBytes(StandardCharsets.UTF_8));
            }
        } else if (name.equals("adapterConfig")) {
            out.add(Targets.Adapter.seed(Checkpoint.CONFIG));
        } else if (name.equals("adapterWeights")) {
            out.add(Targets.Adapter.seed(Checkpoint.WEIGHTS));
        }
        return out;
    }

    private static final long[] EXTREMES = {0, -1, 1, 0x7f, 0xff, 0x7fffffffL, 0x80000000L, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};

    /** One to four random edits of a seed (or a splice with another). */
    static byte[] mutate(byte[] a, byte[] b, Random rnd) {
        byte[] x = a.clone();
        for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
            int n = x.length;
            switch (rnd.nextInt(8)) {
                case 0 -> { if (n > 0) x[rnd.nextInt(n)] ^= (byte) (1 << rnd.nextInt(8)); }
                case 1 -> { if (n > 0) x[rnd.nextInt(n)] = (byte) rnd.nextInt(256); }
                case 2 -> x = Arrays.copyOf(x, n == 0 ? 0 : rnd.nextInt(n)); // cut short
                case 3 -> { // splice the other seed in
                    int at = n == 0 ? 0 : rnd.nextInt(n);
                    int from = b.length == 0 ? 0 : rnd.nextInt(b.length);
                    byte[] y = new byte[at + (b.length - from)];
                    System.arraycopy(x, 0, y, 0, at);
                    System.arraycopy(b, from, y, at, b.length - from);
                    x = y;
                }
                case 4 -> { // repeat a chunk
                    if (n > 0) {
                        int from = rnd.nextInt(n);
                        int len = Math.min(n - from, 1 + rnd.nextInt(64));
                        byte[] y = new byte[n + len];
                        System.arraycopy(x, 0, y, 0, from + len);
                        System.arraycopy(x, from, y, from + len, n - from);
                        x = y;
                    }
                }
                case 5 -> { // an extreme little-endian integer (sizes, counts, offsets)
                    if (n >= 8) {
                        int at = rnd.nextInt(n - 7);
                        long v = EXTREMES[rnd.nextInt(EXTREMES.length)];
                        int width = rnd.nextBoolean() ? 4 : 8;
                        for (int i = 0; i < width; i++) {
                            x[at + i] = (byte) (v >>> (8 * i));
                        }
                    }
                }
                case 6 -> { // a digit run grows: numbers in text formats
                    for (int i = 0; i < n; i++) {
                        int j = (rnd.nextInt(n) + i) % n;
                        if (x[j] >= '0' && x[j] <= '9') {
                            byte[] y = new byte[n + 12];
                            System.arraycopy(x, 0, y, 0, j);
                            Arrays.fill(y, j, j + 12, (byte) '9');
                            System.arraycopy(x, j, y, j + 12, n - j);
                            x = y;
                            break;
                        }
                    }
                }
                default -> { if (n > 0) { int i = rnd.nextInt(n); String specials = "\"{}[],:\t\n\\ -0.e";
                    x[i] = (byte) specials.charAt(rnd.nextInt(specials.length())); } }
            }
        }
        return x;
    }
}
