package dev.moore4j.adapter;

import dev.moore4j.model.Linear;

/** An adapter module that replaced a frozen linear layer in its slot. */
public interface AdapterLayer extends AdapterModule, Linear {
    @Override
    void close();
}
