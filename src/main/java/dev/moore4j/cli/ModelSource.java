package dev.moore4j.cli;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where a command's model comes from, the same for every command that reads one: an adapter checkpoint
 * ({@code --adapter DIR}), a base model ({@code --model MODEL}, or the command's MODEL argument), or both: the
 * adapter on that base, which must have the weights it was trained on. It always yields an {@link AdaptedModel}.
 */
final class ModelSource {
    @Option(names = "--adapter", paramLabel = "DIR", description = "Adapter checkpoint directory (from moore train).")
    Path adapter;

    @Option(names = "--model", paramLabel = "MODEL", description = "Base model (minilm, bge-small, e5-small, stories260K, an HF directory or a "
            + "llama2.c .bin); with --adapter, loaded instead of the recorded base (it must have the same weights).")
    String model;

    @Mixin
    WeightsFlag weights;

    boolean hasAdapter() {
        return adapter != null;
    }

    /** The base model named by {@code --model}, else by the command's own MODEL argument (null: none). */
    String baseModel(String argument) {
        if (model != null && argument != null && !model.equals(argument)) {
            throw new MooreException("give the model once: --model " + model + " and argument " + argument + " differ");
        }
        return model != null ? model : argument;
    }

    /** What a result names as its model: the adapter directory, else the base model. */
    String describe(String argument) {
        return adapter != null ? adapter.toString() : baseModel(argument);
    }

    /** Opens the model; {@code argument} is a model named as the command's positional argument, or null. */
    AdaptedModel open(Common common, String argument, String command) {
        String base = baseModel(argument);
        if (adapter == null && base == null) {
            throw new MooreException(command + ": give --adapter DIR or a model");
        }
        return adapter != null ? AdaptedModel.open(adapter, base, common.threads(), weights.orNull())
                : AdaptedModel.base(base, common.threads(), weights.orFp32());
    }

    /** Opens an adapter (required by commands that need its tasks). */
    AdaptedModel openAdapter(Common common, String command) {
        if (adapter == null) {
            throw new MooreException(command + ": --adapter DIR is required");
        }
        return open(common, null, command);
    }
}
