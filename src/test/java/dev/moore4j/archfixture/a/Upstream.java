package dev.moore4j.archfixture.a;

import dev.moore4j.archfixture.b.Downstream;

/** Half of a deliberate package cycle: {@code ArchitectureTest} shows that its rules catch it. */
public final class Upstream {
    public Downstream next() {
        return new Downstream();
    }
}
