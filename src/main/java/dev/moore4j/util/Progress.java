package dev.moore4j.util;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ProgressState;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress for long loops, always on stderr so stdout stays machine-readable: a redrawn bar on a
 * terminal; elsewhere (a log file, a pipe, CI) a plain line now and then — at every tenth of the way,
 * at least every 30 s, and at the end — because a log of bar frames is unreadable (and huge).
 *
 * <p>Which one: {@code $MOORE4J_PROGRESS} = {@code bar} or {@code lines} when set; else whether stderr
 * is a terminal, as {@code bin/moore} tells through {@code -Dmoore4j.stderr.tty}; else whether the JVM
 * has a console.
 */
public final class Progress {
    static final long QUIET_MILLIS = 30_000;

    private Progress() {}

    public static ProgressBar bar(String task, long max) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).continuousUpdate();
        if (plainLines()) {
            return b.setRenderer(new LineRenderer(System.currentTimeMillis())).setConsumer(new LineConsumer(System.err)).setUpdateIntervalMillis(1000)
                    .build();
        }
        return b.setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250).build();
    }

    static boolean plainLines() {
        String mode = System.getenv("MOORE4J_PROGRESS");
        if (mode != null && !mode.isBlank()) {
            return !mode.trim().equalsIgnoreCase("bar");
        }
        String tty = System.getProperty("moore4j.stderr.tty");
        if (tty != null) {
            return !Boolean.parseBoolean(tty);
        }
        return System.console() == null;
    }

    /** Renders a line only when there is news: a new tenth reached, 30 s of silence, or the end; else "" (nothing printed). */
    static final class LineRenderer implements ProgressBarRenderer {
        private long lastPrint;
        private long lastTenth = -1;
        private boolean ended;

        LineRenderer(long now) {
            this.lastPrint = now;
        }

        @Override
        public String render(ProgressState s, int maxLength) {
            return line(s.getTaskName(), s.getCurrent(), s.getMax(), s.getTotalElapsed(), s.getExtraMessage(), System.currentTimeMillis());
        }

        String line(String task, long current, long max, Duration elapsed, String extra, long now) {
            long tenth = max > 0 ? Math.min(10, current * 10 / max) : -1;
            boolean end = max > 0 && current >= max;
            if (ended || !(tenth > lastTenth || now - lastPrint >= QUIET_MILLIS || end)) {
                return "";
            }
            ended = end;
            lastTenth = Math.max(lastTenth, tenth);
            lastPrint = now;
            long sec = elapsed.getSeconds();
            String pct = max > 0 ? String.format(Locale.ROOT, "%3d%% ", current * 100 / max) : "";
            return String.format(Locale.ROOT, "%s %s%d/%s (%d:%02d:%02d)%s", task, pct, current, max > 0 ? String.valueOf(max) : "?", sec / 3600,
                    sec / 60 % 60, sec % 60, extra == null || extra.isBlank() ? "" : " " + extra.trim());
        }
    }

    /** Prints each non-empty rendering as its own line. */
    static final class LineConsumer implements ProgressBarConsumer {
        private final PrintStream out;

        LineConsumer(PrintStream out) {
            this.out = out;
        }

        @Override
        public int getMaxRenderedLength() {
            return 200;
        }

        @Override
        public void accept(String s) {
            if (!s.isEmpty()) {
                out.println(s);
            }
        }

        @Override
        public void clear() {}

        @Override
        public void close() {}
    }
}
