package dev.moore4j.train;

import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.NativeTrimmer;

import java.util.ArrayList;
import java.util.List;

/**
 * The run's native memory: trims freed arenas back to the OS when RSS outgrows the working level by the
 * slack ({@link NativeTrimmer}), and samples native RSS (RSS minus the JVM pools) every {@value #EVERY} steps,
 * which stays flat when each step's arrays are scoped well.
 */
final class MemoryWatch {
    static final int EVERY = 50;

    private final NativeTrimmer trimmer;
    private final List<Double> samples = new ArrayList<>();

    MemoryWatch(long slackBytes) {
        this.trimmer = new NativeTrimmer(slackBytes);
    }

    /** After a step or an evaluation: trim if the slack is exceeded (its cost belongs to the step that caused it). */
    void trim() {
        trimmer.check();
    }

    /** After step {@code step}: a native RSS sample every {@value #EVERY} steps. */
    void sample(int step) {
        if (step % EVERY == 0) {
            samples.add(MemoryStats.nativeRssBytes() / 1e6);
        }
    }

    NativeTrimmer trimmer() {
        return trimmer;
    }

    List<Double> samples() {
        return List.copyOf(samples);
    }
}
