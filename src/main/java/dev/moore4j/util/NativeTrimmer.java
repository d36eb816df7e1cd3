package dev.moore4j.util;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

import org.bytedeco.javacpp.Pointer;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

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
    private long warmLevel = -1; // the working level as the warm-up measured it (fixed afterwards)
    private long peak = -1;      // highest RSS left after a check, once warmed up
    private int checks;
    private int trims;
    private boolean available = true;
    private final LongSupplier rssBytes;
    private final BooleanSupplier trimmer;

    /** @param slackBytes growth over the working level that triggers a trim; 0 or less disables trimming */
    public NativeTrimmer(long slackBytes) {
        this(slackBytes, MemoryStats::rssBytes, NativeTrimmer::release);
    }

    /** With another RSS source and trim call (tests drive the policy with a scripted RSS). */
    NativeTrimmer(long slackBytes, LongSupplier rssBytes, BooleanSupplier trim) {
        this.slackBytes = slackBytes;
        this.rssBytes = rssBytes;
        this.trimmer = trim;
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
        long rss = rssBytes.getAsLong();
        if (rss < 0) {
            available = false; // no /proc: not Linux
            return false;
        }
        if (checks++ < WARMUP_CHECKS) {
            baseline = Math.max(baseline, rss);
            warmLevel = baseline;
            return false;
        }
        if (rss - baseline < slackBytes || !trim()) {
            peak = Math.max(peak, rss);
            return false;
        }
        trims++;
        long after = rssBytes.getAsLong();
        peak = Math.max(peak, after);
        baseline = Math.max(baseline, after); // live memory really grew: do not trim again at once
        return true;
    }

    /** The working level in bytes that the warm-up measured (-1 before it ends, or when disabled). */
    public long workingLevel() {
        return checks > WARMUP_CHECKS ? warmLevel : -1;
    }

    /** The highest RSS in bytes that a check left behind after the warm-up (-1 if none): within the slack of the working level unless live memory grew. */
    public long peak() {
        return peak;
    }

    /**
     * After a model is loaded or adapted: collects the garbage the build left (file bytes, host copies
     * of weights, SVD workspaces; the JVM then hands unused heap back) and returns the freed native
     * pages, so that they do not count in the process's peak once training adds its own memory.
     */
    public static void settle() {
        System.gc();
        trimNow();
    }

    /** Trims once, now (after loading, before a long-lived process settles); false where it cannot. */
    public static boolean trimNow() {
        try {
            return release();
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * Returns freed pages to the OS from whichever allocator serves this process: glibc ({@code malloc_trim}),
     * tcmalloc ({@code MallocExtension_ReleaseFreeMemory}) or jemalloc (a purge of every arena), as
     * {@code bin/moore} may preload either. True if any of them ran.
     */
    static boolean release() {
        boolean any = false;
        NativeLibrary process = NativeLibrary.getProcess();
        Function tcmalloc = symbol(process, "MallocExtension_ReleaseFreeMemory");
        if (tcmalloc != null) {
            tcmalloc.invoke(new Object[0]);
            any = true;
        }
        Function jemalloc = symbol(process, "mallctl");
        if (jemalloc != null) { // MALLCTL_ARENAS_ALL = 4096
            any |= jemalloc.invokeInt(new Object[] {"arena.4096.purge", null, null, null, 0L}) == 0;
        }
        return Pointer.trimMemory() || any;
    }

    /** The allocator serving this process's {@code malloc}, as {@code bin/moore} may have preloaded one. */
    public enum Allocator { GLIBC, TCMALLOC, JEMALLOC }

    public static Allocator allocator() {
        try {
            NativeLibrary process = NativeLibrary.getProcess();
            return symbol(process, "MallocExtension_ReleaseFreeMemory") != null ? Allocator.TCMALLOC
                    : symbol(process, "mallctl") != null ? Allocator.JEMALLOC : Allocator.GLIBC;
        } catch (LinkageError e) {
            return Allocator.GLIBC;
        }
    }

    private static Function symbol(NativeLibrary library, String name) {
        try {
            return library.getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    private boolean trim() {
        try {
            return trimmer.getAsBoolean();
        } catch (LinkageError e) { // JavaCPP's native library could not load here: run on without trimming
            available = false;
            return false;
        }
    }

    public int trims() {
        return trims;
    }
}
