package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.llama.Generator;
import dev.moore4j.model.llama.LlamaModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;

@Command(name = "generate", description = "Generate text from a decoder with a KV cache (greedy with --temperature 0).")
final class GenerateCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", description = "Decoder model (stories260K, an HF Llama/Qwen2 directory or a llama2.c .bin).")
    String model;

    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    @Option(names = "--max-tokens", description = "Tokens to generate. Default: ${DEFAULT-VALUE}.")
    int maxTokens = 64;

    @Option(names = "--temperature", description = "0 = greedy. Default: ${DEFAULT-VALUE}.")
    float temperature = 0f;

    @Option(names = "--top-p", description = "Nucleus sampling mass. Default: ${DEFAULT-VALUE}.")
    float topP = 0.9f;

    @Option(names = "--seed", description = "Sampling seed. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @Override
    public void run() {
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m)) {
            if (!(loaded.model() instanceof LlamaModel llama)) {
                throw new MooreException(model + ": generate needs a decoder (Llama family), this is a " + loaded.model().family() + " model");
            }
            Generator.Options o = new Generator.Options(maxTokens, temperature, topP, seed);
            if (common.json) {
                String text = Generator.generate(llama, loaded.tokenizer(), prompt, o, ForwardContext.inference(), null);
                common.printJson(Map.of("model", model, "text", text));
            } else {
                System.out.print(prompt);
                Generator.generate(llama, loaded.tokenizer(), prompt, o, ForwardContext.inference(), piece -> {
                    System.out.print(piece);
                    System.out.flush();
                });
                System.out.println();
            }
        }
    }
}
