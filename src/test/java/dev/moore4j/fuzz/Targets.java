package dev.moore4j.fuzz;

import ai.djl.ndarray.NDManager;

import dev.moore4j.task.BadRows;
import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.cli.Main;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.harness.SuiteSpec;
import dev.moore4j.io.OnnxWeights;
import dev.moore4j.io.Safetensors;
import dev.moore4j.io.WeightSource;
import dev.moore4j.model.load.HfCheckpoint;
import dev.moore4j.model.load.Llama2cCheckpoint;
import dev.moore4j.task.DataReaders;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.tokenizer.HfTokenizer;
import dev.moore4j.tokenizer.Llama2cTokenizer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The fuzz targets: every reader of files users bring, fed arbitrary bytes. The contract each enforces:
 * the input loads, or ends in the project's own one-line {@link MooreException}; any other throwable is a
 * finding, and so is an allocation far beyond what the input's size justifies. Shared by the Jazzer
 * {@code @FuzzTest}s (coverage-guided, long runs) and the bounded mutation run in CI.
 */
final class Targets {
    /** Heap a reader may allocate: a generous multiple of its input, plus fixed room for parsers and tables. */
    static final long ALLOC_PER_BYTE = 64;
    static final long ALLOC_FIXED = 192L << 20; // Jazzer's instrumentation inflates what first uses of Jackson paths allocate

    private Targets() {}

    /** Every target by name (the name of its Jazzer test method and of its corpus directory). */
    static Map<String, Consumer<byte[]>> all() {
        Map<String, Consumer<byte[]>> t = new LinkedHashMap<>();
        t.put("safetensors", Targets::safetensors);
        t.put("onnx", Targets::onnx);
        t.put("llama2c", Targets::llama2c);
        t.put("llama2cTokenizer", Targets::llama2cTokenizer);
        t.put("hfConfig", Targets::hfConfig);
        t.put("hfTokenizer", Targets::hfTokenizer);
        t.put("glueTsv", Targets::glueTsv);
        t.put("llmAdaptersJson", Targets::llmAdaptersJson);
        t.put("jsonl", Targets::jsonl);
        t.put("taskSpecYaml", Targets::taskSpecYaml);
        t.put("trainConfig", Targets::trainConfig);
        t.put("suiteYaml", Targets::suiteYaml);
        t.put("adapterConfig", Targets::adapterConfig);
        t.put("adapterWeights", Targets::adapterWeights);
        return t;
    }

    private static final Set<String> WARM = ConcurrentHashMap.newKeySet();

    /** Runs a reader on the input under the contract. */
    static void check(String target, byte[] input, Consumer<byte[]> reader) {
        if (target.startsWith("adapter")) {
            Adapter.ensure(); // saving the seed adapter is set-up, not the reader's allocation
        }
        if (WARM.add(target)) { // class loading and static tables on first use are not the input's doing
            run(target, new byte[0], reader);
        }
        run(target, input, reader);
    }

    private static void run(String target, byte[] input, Consumer<byte[]> reader) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        try {
            reader.accept(input);
        } catch (MooreException e) {
            String m = e.getMessage();
            if (m == null || m.isBlank() || m.contains("\n")) {
                throw new AssertionError(target + ": error is not one line: " + m, e);
            }
        } catch (StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError(target + ": " + e, e);
        } catch (RuntimeException | Error e) {
            throw new AssertionError(target + ": not the project's error: " + e, e);
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        long allowed = ALLOC_FIXED + ALLOC_PER_BYTE * input.length;
        if (allocated > allowed) {
            throw new AssertionError(target + ": allocated " + allocated + " bytes for a " + input.length + "-byte input (allowed " + allowed + ")");
        }
    }

    // ---- the readers ----

    static void safetensors(byte[] in) {
        Path f = file("model.safetensors", in);
        Safetensors.Reader r = Safetensors.open(f);
        r.entries().keySet().forEach(r::read);
    }

    static void onnx(byte[] in) {
        WeightSource w = OnnxWeights.bertWeights(OnnxWeights.parse(in, "fuzz.onnx"), "fuzz.onnx");
        w.names().forEach(w::raw);
    }

    static void llama2c(byte[] in) {
        Llama2cCheckpoint.read(file("model.bin", in));
    }

    static void llama2cTokenizer(byte[] in) {
        try (Llama2cTokenizer t = Llama2cTokenizer.load(file("tok.bin", in), 16)) {
            t.decode(t.encode("Once upon a time"));
        }
    }

    static void hfConfig(byte[] in) {
        Path dir = file("config.json", in).getParent();
        var cfg = HfCheckpoint.readConfig(dir);
        String arch = HfCheckpoint.architecture(dir, cfg);
        if (HfCheckpoint.BERT_ARCHS.contains(arch)) {
            HfCheckpoint.bertConfig(dir, cfg);
        } else {
            HfCheckpoint.llamaConfig(dir, cfg, arch);
        }
    }

    static void hfTokenizer(byte[] in) {
        try (HfTokenizer t = HfTokenizer.load(in, "fuzz/tokenizer.json", 32)) {
            t.encodePair("hello world", "the cats");
            t.decode(t.encode("hello the cat"));
        }
    }

    static void glueTsv(byte[] in) {
        DataReaders.read(TaskRegistry.resolve("sst2"), file("train.tsv", in), BadRows.STOP);
        DataReaders.read(TaskRegistry.resolve("sst2"), file("train.tsv", in), BadRows.SKIP);
    }

    static void llmAdaptersJson(byte[] in) {
        DataReaders.read(TaskRegistry.resolve("arc-e"), file("train.json", in), BadRows.STOP);
    }

    static void jsonl(byte[] in) {
        DataReaders.read(TaskRegistry.resolve("winogrande"), file("train.jsonl", in), BadRows.STOP);
    }

    static void taskSpecYaml(byte[] in) {
        TaskRegistry.readUserSpec(file("task.yaml", in));
    }

    static void trainConfig(byte[] in) {
        TrainConfig.read(file(in.length > 0 && in[0] == '{' ? "config.json" : "config.yaml", in)).validate();
    }

    /** A suite file (issue 16: a bad field fails at start naming it), read and then asked what a suite run asks first. */
    static void suiteYaml(byte[] in) {
        SuiteSpec spec = SuiteSpec.resolve(file("suite.yaml", in).toString());
        for (String m : spec.sweepMethods()) {
            for (double lr : spec.gridFor(m)) {
                spec.config(m, spec.seeds().get(0), lr, true, Map.of()).validate();
            }
        }
        for (String m : spec.methods()) {
            spec.config(m, spec.seeds().get(0), spec.rateFor(m), false, Map.of()).validate();
        }
    }

    /** adapter_config.json fuzzed, next to a valid adapter.safetensors of a stories260K MoORE adapter. */
    static void adapterConfig(byte[] in) {
        Path dir = Adapter.copy();
        write(dir.resolve(Checkpoint.CONFIG), in);
        open(dir);
    }

    /** adapter.safetensors fuzzed, next to a valid adapter_config.json. */
    static void adapterWeights(byte[] in) {
        Path dir = Adapter.copy();
        write(dir.resolve(Checkpoint.WEIGHTS), in);
        open(dir);
    }

    private static void open(Path dir) {
        try (NDManager m = TestSupport.manager(); Checkpoint.Opened o = Checkpoint.open(dir, null, m)) {
            o.model().tasks();
        }
    }

    /** A valid adapter, saved once per JVM; each execution works on a fresh copy. */
    static final class Adapter {
        private static Path saved;

        static synchronized void ensure() {
            try {
                if (saved == null) {
                    saved = Files.createTempDirectory("fuzz-adapter").resolve("a");
                    PrintStream out = System.out;
                    try {
                        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
                        int code = Main.execute("moeize", "stories260K", "--targets", "q_proj", "--householder", "2", "--tasks",
                                "examples/stories-tasks/mood.yaml,examples/stories-tasks/pet.yaml", "--save", saved.toString(), "--threads", "1");
                        if (code != 0) {
                            throw new IllegalStateException("could not save the seed adapter");
                        }
                    } finally {
                        System.setOut(out);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static synchronized Path copy() {
            ensure();
            try {
                Path dir = SCRATCH.get().resolve("adapter");
                Files.createDirectories(dir);
                for (String f : new String[] {Checkpoint.CONFIG, Checkpoint.WEIGHTS}) {
                    Files.copy(saved.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static byte[] seed(String file) {
            try {
                copy();
                return Files.readAllBytes(saved.resolve(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ---- scratch files ----

    private static final ThreadLocal<Path> SCRATCH = ThreadLocal.withInitial(() -> {
        try {
            Path d = Files.createTempDirectory("fuzz");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    });

    static Path file(String name, byte[] in) {
        Path f = SCRATCH.get().resolve(name);
        write(f, in);
        return f;
    }

    private static void write(Path f, byte[] in) {
        try {
            Files.write(f, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
