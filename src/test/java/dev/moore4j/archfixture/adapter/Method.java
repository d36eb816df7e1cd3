package dev.moore4j.archfixture.adapter;

/** The loop that {@code Method.budgetKey} once made: the interface asks the registry, which imports every method. */
public interface Method {
    default String budgetKey() {
        return Registry.first().getClass().getSimpleName();
    }
}
