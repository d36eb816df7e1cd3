package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.model.DecoderModel;

import picocli.CommandLine.Option;

/** The flags that {@code generate} and {@code chat} share (the routing task, the nucleus mass, the seed) and the opening of their decoder, each checked once here. */
final class SamplingFlags {
    @Option(names = "--task", description = "Task whose id routes the adapter (default: task-free, the mean task embedding).")
    String task;

    @Option(names = "--top-p", description = "Nucleus sampling mass. Default: ${DEFAULT-VALUE}.")
    float topP = 0.9f;

    @Option(names = "--seed", description = "Sampling seed. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    /** The options for {@code maxTokens} and {@code temperature} (each command has its own defaults), every value checked. */
    AdaptedModel.GenerateOptions options(String command, ModelSource source, int maxTokens, float temperature) {
        Common.range("--max-tokens", maxTokens, 1, 1_000_000);
        Common.range("--temperature", temperature, 0.0, 100.0);
        Common.range("--top-p", topP, 1e-9, 1.0);
        if (!source.hasAdapter() && task != null) {
            throw new MooreException(command + ": --task needs --adapter");
        }
        return new AdaptedModel.GenerateOptions(maxTokens, temperature, topP, seed);
    }

    /** Opens {@code model} (or the adapter's base) as a decoder, the task checked against the adapter's; one line naming what is wrong otherwise. */
    AdaptedModel openDecoder(Common common, ModelSource source, String model, String command) {
        AdaptedModel m = source.open(common, model, command);
        try {
            if (!(m.model() instanceof DecoderModel)) {
                throw new MooreException(source.describe(model) + ": " + command + " needs a decoder (Llama family), this is a " + m.model().family() + " model");
            }
            if (task != null) {
                m.task(task); // unknown task: one line naming the adapter's tasks
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
