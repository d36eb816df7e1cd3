package dev.moore4j.adapter;

import dev.moore4j.model.TransformerModel;

import java.util.List;

/**
 * One adaptation method: its hyperparameters (a config record with defaults) and how it puts its
 * modules into a model. Everything else (target matching, freezing, state dicts, checkpoints,
 * training, evaluation) is shared and knows no method.
 */
public interface Method<C extends MethodConfig> {
    /** CLI name, lowercase. */
    String name();

    /** One line for {@code --help} and tables. */
    String summary();

    C defaults();

    Class<C> configType();

    /**
     * Replaces the method's targets in {@code model} with its modules. Every target is checked before
     * anything is allocated, so a bad config fails at start naming the key.
     */
    List<AdapterModule> inject(TransformerModel model, C config, AdaptContext ctx);

    /** Trainable parameters {@link #inject} would create, computed without allocating (for budgets). */
    long count(TransformerModel model, C config, int tasks);

    /** Whether the adapted model at initialisation computes exactly the base model. */
    default boolean exactAtInit() {
        return true;
    }
}
