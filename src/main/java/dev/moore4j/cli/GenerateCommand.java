package dev.moore4j.cli;

import dev.moore4j.api.AdaptedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "generate", description = "Generate text from a decoder with a KV cache (greedy with --temperature 0).")
final class GenerateCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Mixin
    SamplingFlags sampling;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Decoder model (stories260K, an HF Llama/Qwen2/Qwen3/Mistral/Phi-3/Gemma 2/Gemma 3 directory or a "
            + "llama2.c .bin), as --model; with --adapter, defaults to the adapter's base model.")
    String model;

    @Option(names = "--prompt", required = true, description = "Prompt text.")
    String prompt;

    @Option(names = "--max-tokens", description = "Tokens to generate. Default: ${DEFAULT-VALUE}.")
    int maxTokens = 64;

    @Option(names = "--temperature", description = "0 = greedy. Default: ${DEFAULT-VALUE}.")
    float temperature = 0f;

    @Override
    public void run() {
        AdaptedModel.GenerateOptions o = sampling.options("generate", source, maxTokens, temperature);
        String task = sampling.task;
        try (AdaptedModel m = sampling.openDecoder(common, source, model, "generate")) {
            if (common.json) {
                // the prompt as the tokenizer reads it back, then the generated pieces
                StringBuilder text = new StringBuilder(m.tokenizer().decode(m.tokenizer().encode(prompt)));
                long t0 = System.nanoTime();
                AdaptedModel.Completion c = m.generate(prompt, o, task, text::append);
                int[] pieces = {c.completionTokens()};
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", source.describe(model));
                out.put("text", text.toString());
                out.put("prompt_tokens", c.promptTokens());
                out.put("finish_reason", c.finishReason());
                out.put("generated_tokens", pieces[0]);
                out.put("seconds", seconds); // prompt (prefill) included; the KV cache makes each further token one position
                out.put("tokens_per_second", pieces[0] / seconds);
                common.printJson(out);
            } else {
                System.out.print(prompt);
                m.generate(prompt, o, task, piece -> {
                    System.out.print(piece);
                    System.out.flush();
                });
                System.out.println();
            }
        }
    }
}
