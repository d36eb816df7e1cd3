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

    /**
     * A fresh JVM running the command line {@code args} ({@code dev.moore4j.cli.Main}) on this test's class path, one
     * compute thread: for claims about a whole process (its peak memory, a kill at a random moment).
     */
    public static ProcessBuilder mainProcess(java.util.List<String> args) {
        // a short process: the C1 compiler only and the serial collector start faster (the arithmetic is native, so nothing else changes)
        java.util.List<String> c = new java.util.ArrayList<>(java.util.List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-Dmoore4j.stderr.tty=false", "-cp", System.getProperty("java.class.path"), "dev.moore4j.cli.Main"));
        c.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(c);
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        return pb;
    }

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

    /**
     * A Hugging Face BERT directory holding the first two blocks of all-MiniLM-L6-v2 (its real embeddings, weights and
     * tokenizer), written once under {@code target/test-models} and shared by every test JVM: for command-line tests whose
     * claim is about the pipeline (resume, reload, serve, Spark), not about MiniLM's own figures, at a third of its time.
     */
    public static synchronized String minilmTwoLayers() {
        java.nio.file.Path dir = java.nio.file.Path.of("target", "test-models", "minilm-2-layers").toAbsolutePath();
        if (java.nio.file.Files.isRegularFile(dir.resolve("config.json"))) {
            return dir.toString();
        }
        ModelLoader.JarAlias a = ModelLoader.JAR_ALIASES.get(0);
        BertConfig c = a.config().withLayers(2);
        var jar = MavenJars.resolve(a.groupId(), a.artifactId(), a.version());
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            java.nio.file.Files.createDirectories(dir.getParent());
            java.nio.file.Path tmp = java.nio.file.Files.createTempDirectory(dir.getParent(), ".minilm-2-layers");
            var weights = OnnxWeights.bertWeights(OnnxWeights.parse(zip.getInputStream(zip.getEntry(a.onnxEntry())).readAllBytes(), a.alias()), a.alias());
            java.util.Map<String, dev.moore4j.io.HostTensor> kept = new java.util.LinkedHashMap<>();
            for (String k : weights.names()) {
                if (!k.startsWith("encoder.layer.") || k.startsWith("encoder.layer.0.") || k.startsWith("encoder.layer.1.")) {
                    kept.put(k, weights.raw(k));
                }
            }
            dev.moore4j.io.Safetensors.write(tmp.resolve("model.safetensors"), kept, java.util.Map.of("format", "pt"));
            java.nio.file.Files.write(tmp.resolve("tokenizer.json"), zip.getInputStream(zip.getEntry(a.tokenizerEntry())).readAllBytes());
            java.nio.file.Files.writeString(tmp.resolve("config.json"), String.format(java.util.Locale.ROOT, """
                    {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": %d, "hidden_size": %d, "num_hidden_layers": %d,
                     "num_attention_heads": %d, "intermediate_size": %d, "max_position_embeddings": %d, "type_vocab_size": %d,
                     "layer_norm_eps": %s}
                    """, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(), c.intermediateSize(), c.maxPositionEmbeddings(),
                    c.typeVocabSize(), Float.toString(c.layerNormEps())));
            try {
                java.nio.file.Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                dev.moore4j.io.AtomicFiles.deleteTree(tmp); // another test JVM wrote it first
            }
            return dir.toString();
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
