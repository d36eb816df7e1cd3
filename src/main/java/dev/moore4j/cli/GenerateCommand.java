package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.tokenizer.TextTokenizer;
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

    @Parameters(index = "0", arity = "0..1", description = "Decoder model (stories260K, an HF Llama/Qwen2 directory or a llama2.c .bin); "
            + "with --adapter, defaults to the adapter's base model.")
    String model;

    @Option(names = "--adapter", description = "Adapter checkpoint directory (from moore train) to generate with.")
    java.nio.file.Path adapter;

    @Option(names = "--task", description = "Task whose id routes the adapter (default: task-free, the mean task embedding).")
    String task;

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
        try {
            generate();
        } catch (MooreException | IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void generate() throws Exception {
        Common.range("--max-tokens", maxTokens, 1, 1_000_000);
        Common.range("--temperature", temperature, 0.0, 100.0);
        Common.range("--top-p", topP, 1e-9, 1.0);
        if (adapter == null && model == null) {
            throw new MooreException("generate: name a model, or an --adapter");
        }
        if (adapter == null && task != null) {
            throw new MooreException("generate: --task needs --adapter");
        }
        try (NDManager m = common.manager(); AutoCloseable owner = adapter != null ? Pipeline.open(adapter, model, m) : ModelLoader.load(model, m)) {
            dev.moore4j.model.TransformerModel base = owner instanceof Pipeline.Opened o ? Pipeline.baseOf(o.model()) : ((ModelLoader.Loaded) owner).model();
            TextTokenizer tokenizer = owner instanceof Pipeline.Opened o ? o.loaded().tokenizer() : ((ModelLoader.Loaded) owner).tokenizer();
            if (!(base instanceof LlamaModel llama)) {
                throw new MooreException((model != null ? model : adapter.toString()) + ": generate needs a decoder (Llama family), this is a "
                        + base.family() + " model");
            }
            ForwardContext ctx = task == null ? ForwardContext.inference()
                    : ForwardContext.tasks(false, ((Pipeline.Opened) owner).model().taskId(task));
            Generator.Options o = new Generator.Options(maxTokens, temperature, topP, seed);
            if (common.json) {
                String text = Generator.generate(llama, tokenizer, prompt, o, ctx, null);
                common.printJson(Map.of("model", model != null ? model : adapter.toString(), "text", text));
            } else {
                System.out.print(prompt);
                Generator.generate(llama, tokenizer, prompt, o, ctx, piece -> {
                    System.out.print(piece);
                    System.out.flush();
                });
                System.out.println();
            }
        }
    }
}
