package dev.moore4j.harness;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The plan's arithmetic; the plan of a real suite, killed and resumed, is checked in {@link SuiteFileTest}. */
class SuiteProgressTest {
    @Test
    void aMethodsTypicalSpeedLeavesOutRunsThatWereStoppedForLong() {
        assertThat(SuiteProgress.typicalSecondsPerExample(List.of(0.1, 0.12, 0.11))).isEqualTo(0.11);
        assertThat(SuiteProgress.typicalSecondsPerExample(List.of(0.1, 0.12))).isEqualTo(0.11);
        // two runs paused for hours under the old accounting read 30 times slower: the median of the other two
        assertThat(SuiteProgress.typicalSecondsPerExample(List.of(0.036, 0.028, 0.97, 0.97))).isEqualTo(0.032);
        // 5 times the fastest still counts, a little more does not; one run is its own speed
        assertThat(SuiteProgress.typicalSecondsPerExample(List.of(0.1, 0.5))).isEqualTo(0.3, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(SuiteProgress.typicalSecondsPerExample(List.of(0.1, 0.5000001))).isEqualTo(0.1);
        assertThat(SuiteProgress.typicalSecondsPerExample(List.of(0.2))).isEqualTo(0.2);
    }

    @Test
    void durationsReadInMinutesThenHours() {
        assertThat(SuiteProgress.duration(20)).isEqualTo("0 min");
        assertThat(SuiteProgress.duration(59 * 60)).isEqualTo("59 min");
        assertThat(SuiteProgress.duration(3 * 3600 + 5 * 60)).isEqualTo("3 h 05 min");
    }
}
