package dev.moore4j.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A failed batch is retried unit by unit: only the culprit fails, the others get their answers, in order. */
class BatchRetryTest {
    static List<Integer> squares(List<Integer> xs, List<Integer> calls) {
        calls.add(xs.size());
        if (xs.contains(-1)) {
            throw new IllegalArgumentException("negative input");
        }
        return xs.stream().map(x -> x * x).toList();
    }

    @Test
    void aGoodBatchRunsOnce() {
        List<Integer> calls = new ArrayList<>();
        List<BatchRetry.Outcome<Integer>> out = BatchRetry.run(List.of(1, 2, 3), xs -> squares(xs, calls));
        assertThat(out).containsExactly(new BatchRetry.Outcome.Done<>(1), new BatchRetry.Outcome.Done<>(4), new BatchRetry.Outcome.Done<>(9));
        assertThat(calls).containsExactly(3);
    }

    @Test
    void onlyTheCulpritFails() {
        List<Integer> calls = new ArrayList<>();
        List<BatchRetry.Outcome<Integer>> out = BatchRetry.run(List.of(2, -1, 3), xs -> squares(xs, calls));
        assertThat(out.get(0)).isEqualTo(new BatchRetry.Outcome.Done<>(4));
        assertThat(out.get(1)).isInstanceOfSatisfying(BatchRetry.Outcome.Failed.class,
                f -> assertThat(f.error()).hasMessage("negative input"));
        assertThat(out.get(2)).isEqualTo(new BatchRetry.Outcome.Done<>(9));
        assertThat(calls).containsExactly(3, 1, 1, 1);
    }

    @Test
    void aSingleUnitThatFailsIsNotRunTwice() {
        List<Integer> calls = new ArrayList<>();
        List<BatchRetry.Outcome<Integer>> out = BatchRetry.run(List.of(-1), xs -> squares(xs, calls));
        assertThat(out).singleElement().isInstanceOf(BatchRetry.Outcome.Failed.class);
        assertThat(calls).containsExactly(1);
    }
}
