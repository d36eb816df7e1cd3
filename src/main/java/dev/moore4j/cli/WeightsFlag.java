package dev.moore4j.cli;

import dev.moore4j.io.WeightsDtype;

import picocli.CommandLine.Option;

/** {@code --weights-dtype}, for every command that loads a model. */
final class WeightsFlag {
    @Option(names = "--weights-dtype", paramLabel = "fp32|fp16|bf16", description = "Hold the frozen weights (linear layers, token "
            + "embeddings) as fp32, or fp16: half their memory, arithmetic still fp32. bf16 is refused (DJL 0.36 has no bfloat16). "
            + "Default: fp32, or for an adapter what it was trained with.")
    String weightsDtype;

    /** The choice, checked (null where none was given). */
    WeightsDtype orNull() {
        if (weightsDtype == null) {
            return null;
        }
        WeightsDtype d = WeightsDtype.parse(weightsDtype);
        d.storage();
        return d;
    }

    /** The choice, fp32 where none was given. */
    WeightsDtype orFp32() {
        WeightsDtype d = orNull();
        return d == null ? WeightsDtype.FP32 : d;
    }
}
