package dev.moore4j.util;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Off a terminal, progress is a plain line per tenth of the way (or per 30 s of silence), never a stream of frames. */
class ProgressLinesTest {
    @Test
    void aThousandUpdatesMakeElevenLines() {
        List<String> lines = new ArrayList<>();
        Progress.LineRenderer r = new Progress.LineRenderer(0);
        for (int i = 0; i <= 1000; i++) { // the bar renders every second or so; here at every step, the worst case
            String s = r.line("train", i, 1000, Duration.ofSeconds(i / 10), "loss 0.69", i * 100L);
            if (!s.isEmpty()) {
                lines.add(s);
            }
        }
        assertThat(lines).hasSize(11); // 0 %, 10 %, …, 100 %
        assertThat(lines.get(10)).startsWith("train 100% 1000/1000 (0:01:40) loss 0.69");
        assertThat(String.join("\n", lines).length()).isLessThan(1000);
    }

    @Test
    void aLongSilenceStillPrintsEveryThirtySeconds() {
        Progress.LineRenderer r = new Progress.LineRenderer(0);
        assertThat(r.line("eval", 1, 1000, Duration.ZERO, "", 1_000)).isNotEmpty(); // 0 % reached
        assertThat(r.line("eval", 2, 1000, Duration.ofSeconds(20), "", 20_000)).isEmpty();
        assertThat(r.line("eval", 3, 1000, Duration.ofSeconds(31), "", 31_000)).contains("3/1000");
    }
}
