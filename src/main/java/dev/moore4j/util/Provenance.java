package dev.moore4j.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Where a result came from: the source commit of this build (from git in the install directory). */
public final class Provenance {
    private Provenance() {}

    /**
     * The commit the running build came from: {@code target/commit.txt}, written by {@code bin/moore} when it
     * builds the jar; else the work tree's HEAD, with "-dirty" when the sources (src/, pom.xml) differ from
     * it; "unknown" without git.
     */
    public static String commit() {
        String home = System.getProperty("moore4j.home", ".");
        Path stamp = Path.of(home, "target", "commit.txt");
        try {
            if (Files.isRegularFile(stamp)) {
                String c = Files.readString(stamp).strip();
                if (!c.isEmpty()) {
                    return c;
                }
            }
        } catch (IOException e) {
            // fall back to git
        }
        if (!Files.isDirectory(Path.of(home, ".git"))) {
            return "unknown";
        }
        String head = git(home, "rev-parse", "--short", "HEAD");
        if (head == null) {
            return "unknown";
        }
        String status = git(home, "status", "--porcelain", "--untracked-files=no", "--", "src", "pom.xml");
        return status != null && !status.isBlank() ? head + "-dirty" : head;
    }

    private static String git(String dir, String... args) {
        try {
            String[] cmd = new String[args.length + 3];
            cmd[0] = "git";
            cmd[1] = "-C";
            cmd[2] = dir;
            System.arraycopy(args, 0, cmd, 3, args.length);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
