package dev.moore4j.archfixture.b;

import dev.moore4j.archfixture.a.Upstream;

/** The other half of the deliberate cycle of {@code archfixture}. */
public final class Downstream {
    public Upstream back() {
        return new Upstream();
    }
}
