package dev.moore4j.archfixture.adapter.common;

import dev.moore4j.archfixture.adapter.lora.Lora;

/** Shared code that names a method: what {@code common} must not do (ExpertLoraMethod once called LoraMethod's checks). */
public final class Shared {
    private Shared() {}

    public static Object make() {
        return new Lora();
    }
}
