package dev.moore4j.util;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The trim policy on a scripted RSS: no machine's allocator decides whether the test passes. */
class NativeTrimmerTest {
    private static final long MB = 1 << 20;

    @Test
    void trimsOnlyWhenResidentMemoryOutgrowsTheWarmUpLevelBySlack() {
        // warm-up: 10 checks peaking at 1000 MB; then growth below the slack, one step above it, and the RSS the trim leaves
        long[] rss = LongStream.concat(LongStream.of(900, 950, 1000, 980, 990, 1000, 970, 960, 1000, 990),
                LongStream.of(1100, 1200, 1300, 1250, 1000, 1350)).map(x -> x * MB).toArray();
        PrimitiveIterator.OfLong it = LongStream.of(rss).iterator();
        List<Long> trimmedAt = new ArrayList<>();
        long[] now = {0};
        NativeTrimmer t = new NativeTrimmer(256 * MB, () -> now[0] = it.nextLong(), () -> {
            trimmedAt.add(now[0] / MB);
            return true;
        });
        List<Boolean> results = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            results.add(t.check());
        }
        assertThat(t.workingLevel()).isEqualTo(1000 * MB);
        // 1100, 1200 are within 256 MB of 1000; 1300 is not: trim, after which RSS reads 1250
        assertThat(results.subList(10, 13)).containsExactly(false, false, true);
        assertThat(trimmedAt).containsExactly(1300L);
        assertThat(t.trims()).isEqualTo(1);
        // the level the trim could not get below (1250) becomes the working level: 1000 is far under it, no trim
        assertThat(results.get(13)).isFalse();
        assertThat(t.peak()).isEqualTo(1250 * MB);
    }

    @Test
    void zeroSlackNeverTrimsAndAFailedTrimIsNotCounted() {
        NativeTrimmer off = new NativeTrimmer(0, () -> 1L << 40, () -> {
            throw new AssertionError("trim called with trimming off");
        });
        for (int i = 0; i < 20; i++) {
            assertThat(off.check()).isFalse();
        }
        long[] level = {100 * MB};
        NativeTrimmer refused = new NativeTrimmer(10 * MB, () -> level[0], () -> false);
        for (int i = 0; i < 10; i++) {
            refused.check();
        }
        level[0] = 500 * MB;
        assertThat(refused.check()).isFalse();
        assertThat(refused.trims()).isZero();
        assertThat(refused.peak()).isEqualTo(500 * MB);
    }
}
