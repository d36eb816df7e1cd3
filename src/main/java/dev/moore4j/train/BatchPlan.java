package dev.moore4j.train;

import dev.moore4j.task.Example;
import dev.moore4j.util.Seeds;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

/**
 * The batch of every optimiser step, a function of the seed and the data only (so a resumed run sees the same
 * batches): each epoch shuffles the mixed examples, sorts windows of {@value #WINDOW} batches by length (less
 * padding), cuts them into batches and shuffles the batch order.
 */
final class BatchPlan {
    private static final int WINDOW = 50; // batches per length-sorting window

    private final List<Example> examples;
    private final int batchSize;
    private final long seed;
    private final ToIntFunction<Example> length;
    private final int stepsPerEpoch;
    private int cachedEpoch = -1;
    private List<List<Example>> epochBatches;

    BatchPlan(List<Example> examples, int batchSize, long seed, ToIntFunction<Example> length) {
        this.examples = examples;
        this.batchSize = batchSize;
        this.seed = seed;
        this.length = length;
        this.stepsPerEpoch = (examples.size() + batchSize - 1) / batchSize;
    }

    int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** The examples of optimiser step {@code step} (1-based). */
    List<Example> batch(int step) {
        int epoch = (step - 1) / stepsPerEpoch;
        if (epoch != cachedEpoch) {
            epochBatches = plan(epoch);
            cachedEpoch = epoch;
        }
        return epochBatches.get((step - 1) % stepsPerEpoch);
    }

    private List<List<Example>> plan(int epoch) {
        SplittableRandom rnd = new SplittableRandom(Seeds.mix(seed, epoch));
        List<Example> order = new ArrayList<>(examples);
        shuffle(order, rnd);
        List<List<Example>> batches = new ArrayList<>();
        int window = batchSize * WINDOW;
        for (int from = 0; from < order.size(); from += window) {
            List<Example> w = new ArrayList<>(order.subList(from, Math.min(order.size(), from + window)));
            w.sort(Comparator.comparingInt(length)); // the padded length: a batch costs its size times its longest sequence
            for (int b = 0; b < w.size(); b += batchSize) {
                batches.add(List.copyOf(w.subList(b, Math.min(w.size(), b + batchSize))));
            }
        }
        shuffle(batches, rnd);
        return batches;
    }

    private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
