package dev.moore4j.sparkfixture;

import dev.moore4j.model.TransformerModel;

/** A Spark-side class that reaches past the API into a model family's package: what {@code SparkArchitectureTest} refuses. */
public final class Leaky {
    private Leaky() {}

    public static String family(TransformerModel m) {
        return m.family();
    }
}
