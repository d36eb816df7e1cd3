package dev.moore4j.api;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One rule for a batch that fails: run it whole; if it throws, run each unit alone, so that only the unit that broke it
 * fails and the others get the answers they would have had (the server's requests, the Spark rows of a partition).
 */
public final class BatchRetry {
    private BatchRetry() {}

    /** A unit's outcome: its output, or the error it raised when run alone. */
    public sealed interface Outcome<O> {
        record Done<O>(O value) implements Outcome<O> {}

        record Failed<O>(RuntimeException error) implements Outcome<O> {}
    }

    /** {@code forward} maps units to one output each, in order; the outcomes are in the units' order. */
    public static <I, O> List<Outcome<O>> run(List<I> units, Function<List<I>, List<O>> forward) {
        List<Outcome<O>> out = new ArrayList<>(units.size());
        try {
            forward.apply(units).forEach(o -> out.add(new Outcome.Done<>(o)));
            return out;
        } catch (RuntimeException batchFailed) {
            if (units.size() == 1) {
                return List.of(new Outcome.Failed<>(batchFailed));
            }
        }
        for (I u : units) { // find the culprit: each unit alone
            try {
                out.add(new Outcome.Done<>(forward.apply(List.of(u)).get(0)));
            } catch (RuntimeException e) {
                out.add(new Outcome.Failed<>(e));
            }
        }
        return out;
    }
}
