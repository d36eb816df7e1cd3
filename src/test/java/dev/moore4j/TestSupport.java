package dev.moore4j;

import ai.djl.ndarray.NDManager;

import dev.moore4j.engine.Engines;

/** Shared set-up for tests: one engine configuration, two threads like CI. */
public final class TestSupport {
    private TestSupport() {}

    public static NDManager manager() {
        return Engines.newManager(2);
    }
}
