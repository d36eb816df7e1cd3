package dev.moore4j.util;

/**
 * The one way a seed is derived for the i-th of many streams (a layer's initialisation, an epoch's shuffle, a step's
 * dropout): {@code seed · 1000003 + i}. A prime multiplier keeps the streams of neighbouring seeds apart, and a run
 * that resumes at step i draws what the uninterrupted run drew there.
 */
public final class Seeds {
    private Seeds() {}

    public static long mix(long seed, long i) {
        return seed * 1_000_003L + i;
    }
}
