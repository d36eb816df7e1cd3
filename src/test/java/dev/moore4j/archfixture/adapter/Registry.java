package dev.moore4j.archfixture.adapter;

import dev.moore4j.archfixture.adapter.lora.Lora;

/** A registry that imports a method (allowed) and is called by the interface (the deliberate loop). */
public final class Registry {
    private Registry() {}

    public static Method first() {
        return new Lora();
    }
}
