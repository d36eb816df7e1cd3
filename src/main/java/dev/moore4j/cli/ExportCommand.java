package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.model.DecoderModel;
import dev.moore4j.model.load.HfCheckpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.Map;

@Command(name = "export", description = "Write a decoder as a Hugging Face Llama checkpoint (config.json + model.safetensors).")
final class ExportCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Decoder model (e.g. stories260K), as --model; or give --adapter "
            + "to export it merged into its base (methods that merge: ${COMPLETION-CANDIDATES}).", completionCandidates = MergingMethods.class)
    String model;

    /** The methods whose adapted layers fold into dense weights, from the registry. */
    static final class MergingMethods implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Methods.all().stream().filter(Method::merges).map(Method::name).iterator();
        }
    }

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Override
    public void run() {
        try (AdaptedModel m = source.open(common, model, "export")) {
            String base = source.hasAdapter() ? m.baseReference() : source.baseModel(model);
            if (!(m.model() instanceof DecoderModel decoder)) {
                throw new MooreException(source.describe(model) + ": export supports decoders (Llama family) only");
            }
            HfCheckpoint.write(out, decoder);
            copyLlama2cTokenizer(base, out);
            if (common.json) {
                common.printJson(Map.of("model", base, "out", out.toString()));
            } else {
                System.out.println("wrote " + out.resolve("config.json") + " and " + out.resolve("model.safetensors"));
            }
        }
    }

    /** A llama2.c tokenizer beside the source travels with the export, so the directory loads on its own. */
    static void copyLlama2cTokenizer(String model, Path out) {
        Path src = model.equalsIgnoreCase("stories260K") ? SharedPaths.models().resolve("stories260K") : Path.of(model);
        Path dir = Files.isDirectory(src) ? src : src.toAbsolutePath().getParent();
        try (var s = Files.list(dir)) {
            var tok = s.filter(p -> p.getFileName().toString().startsWith("tok") && p.toString().endsWith(".bin")).findFirst();
            if (tok.isPresent()) {
                Files.copy(tok.get(), out.resolve("tokenizer.bin"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new MooreException(out + ": cannot copy tokenizer: " + e.getMessage());
        }
    }
}
