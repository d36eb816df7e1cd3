package dev.moore4j.adapter;

import dev.moore4j.model.Linear;

import java.util.List;

/** A linear layer that replaced a frozen one and carries trainable parameters. */
public interface AdapterLayer extends Linear {
    List<Param> parameters();

    /** Prepares a fast inference form (e.g. folds fixed rotations into frozen factors). */
    default void fold() {}
}
