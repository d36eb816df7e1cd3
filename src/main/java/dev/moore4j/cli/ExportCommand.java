package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.io.HfCheckpoint;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.model.llama.LlamaModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

@Command(name = "export", description = "Write a decoder as a Hugging Face Llama checkpoint (config.json + model.safetensors).")
final class ExportCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", arity = "0..1", description = "Decoder model (e.g. stories260K); or give --adapter.")
    String model;

    @Option(names = "--adapter", description = "Export this adapter checkpoint merged into its base model (lora, pissa, milora, hra, full).")
    Path adapter;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Override
    public void run() {
        if ((model == null) == (adapter == null)) {
            throw new MooreException("export: give a model or --adapter DIR (one of them)");
        }
        try (NDManager m = common.manager(); AutoCloseable owner = adapter != null ? dev.moore4j.mtl.Pipeline.open(adapter, null, m) : ModelLoader.load(model, m)) {
            ModelLoader.Loaded loaded = owner instanceof dev.moore4j.mtl.Pipeline.Opened o ? o.loaded() : (ModelLoader.Loaded) owner;
            String source = adapter != null ? loaded.reference() : model;
            if (!(loaded.model() instanceof LlamaModel llama)) {
                throw new MooreException(model + ": export supports decoders (Llama family) only");
            }
            HfCheckpoint.writeLlama(out, llama.config(), llama.exportWeights());
            copyLlama2cTokenizer(source, out);
            if (common.json) {
                common.printJson(Map.of("model", source, "out", out.toString()));
            } else {
                System.out.println("wrote " + out.resolve("config.json") + " and " + out.resolve("model.safetensors"));
            }
        } catch (MooreException | IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A llama2.c tokenizer beside the source travels with the export, so the directory loads on its own. */
    static void copyLlama2cTokenizer(String model, Path out) {
        Path src = model.equalsIgnoreCase("stories260K") ? dev.moore4j.io.SharedPaths.models().resolve("stories260K") : Path.of(model);
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
