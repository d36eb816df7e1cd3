package dev.moore4j.util;

/**
 * Hands freed native memory back to the OS once the process has grown by a set amount.
 *
 * <p>libtorch frees every tensor with {@code free()}. When shapes change from step to step (dynamic
 * padding, mixed tasks) glibc keeps many of the freed chunks in its arenas instead of unmapping them,
 * so resident memory climbs through a run although live memory does not (a MiniLM MoORE run on
 * CSR-MTL went from 1.0 to 3.1 GB native in 120 steps). {@code malloc_trim(0)} returns those pages.
 * Trimming after every step costs about a quarter of the throughput, because the pages fault back in;
 * trimming only when RSS has grown {@code slackBytes} past the run's working level keeps resident
 * memory within that slack, at the cost of an occasional step that faults its pages in again.
 */
public final class NativeTrimmer {
    static final int WARMUP_CHECKS = 10;
    private final long slackBytes;
    private long baseline = -1; // the working level: highest RSS of the warm-up checks, raised when a trim cannot get below it
    private int checks;
    private int trims;
    private boolean available = true;

    /** @param slackBytes growth over the working level that triggers a trim; 0 or less disables trimming */
    public NativeTrimmer(long slackBytes) {
        this.slackBytes = slackBytes;
    }

    /**
     * Call between steps. The first {@value #WARMUP_CHECKS} calls learn the working level (a step's own
     * activations included: trimming below it would only make the next step fault the pages back in);
     * later calls trim when RSS exceeds it by the slack. Returns whether it trimmed.
     */
    public boolean check() {
        if (slackBytes <= 0 || !available) {
            return false;
        }
        long rss = MemoryStats.rssBytes();
        if (rss < 0) {
            available = false; // no /proc: not Linux
            return false;
        }
        if (checks++ < WARMUP_CHECKS) {
            baseline = Math.max(baseline, rss);
            return false;
        }
        if (rss - baseline < slackBytes || !trim()) {
            return false;
        }
        trims++;
        baseline = Math.max(baseline, MemoryStats.rssBytes()); // live memory really grew: do not trim again at once
        return true;
    }

    private boolean trim() {
        try {
            return org.bytedeco.javacpp.Pointer.trimMemory();
        } catch (LinkageError e) { // JavaCPP's native library could not load here: run on without trimming
            available = false;
            return false;
        }
    }

    public int trims() {
        return trims;
    }
}
