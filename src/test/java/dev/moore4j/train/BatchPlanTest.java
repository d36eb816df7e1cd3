package dev.moore4j.train;

import dev.moore4j.task.Example;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** The batches of a run: every example once per epoch, the same for the same seed, and bucketed by padded length. */
class BatchPlanTest {
    /** Multiple-choice examples of 2 to 5 choices; a choice's "sequence length" is its text's length. */
    private static List<Example> examples() {
        SplittableRandom r = new SplittableRandom(5);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            List<String> choices = new ArrayList<>();
            int n = 2 + r.nextInt(4);
            for (int c = 0; c < n; c++) {
                choices.add("x".repeat(5 + r.nextInt(n == 2 ? 80 : 20))); // two-choice tasks have long sequences, as BoolQ does
            }
            out.add(new Example("t" + n, "q" + i, null, choices, 0, 0f, null));
        }
        return out;
    }

    private static final ToIntFunction<Example> TOKENS = e -> e.choices().stream().mapToInt(String::length).sum();
    private static final ToIntFunction<Example> LONGEST = e -> e.choices().stream().mapToInt(String::length).max().orElse(0);

    /** Positions a step computes: its sequences times its longest sequence. */
    private static long padded(BatchPlan plan) {
        long sum = 0;
        for (int step = 1; step <= plan.stepsPerEpoch(); step++) {
            List<Example> batch = plan.batch(step);
            int max = batch.stream().mapToInt(LONGEST).max().orElse(0);
            sum += (long) max * batch.stream().mapToInt(e -> e.choices().size()).sum();
        }
        return sum;
    }

    @Test
    void everyExampleOncePerEpochTheSameForTheSameSeed() {
        List<Example> xs = examples();
        BatchPlan a = new BatchPlan(xs, 8, 3, LONGEST);
        BatchPlan b = new BatchPlan(xs, 8, 3, LONGEST);
        Set<Example> seen = new HashSet<>();
        for (int step = 1; step <= a.stepsPerEpoch(); step++) {
            assertThat(a.batch(step)).isEqualTo(b.batch(step));
            seen.addAll(a.batch(step));
        }
        assertThat(seen).hasSize(xs.size());
        assertThat(a.batch(a.stepsPerEpoch() + 1)).as("the next epoch reshuffles").isNotEqualTo(a.batch(1));
    }

    @Test
    void bucketingByTheLongestSequencePadsLessThanByTotalTokens() {
        List<Example> xs = examples();
        long all = xs.stream().mapToLong(TOKENS::applyAsInt).sum();
        long byLongest = padded(new BatchPlan(xs, 8, 3, LONGEST));
        long byTokens = padded(new BatchPlan(xs, 8, 3, TOKENS));
        assertThat(byLongest).isGreaterThanOrEqualTo(all).isLessThan(byTokens);
        // within a window the batches are sorted, so each step pads to a near neighbour's length
        assertThat((double) (byLongest - all) / byLongest).isLessThan((double) (byTokens - all) / byTokens * 0.8);
    }
}
