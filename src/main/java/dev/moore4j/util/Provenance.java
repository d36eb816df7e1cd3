package dev.moore4j.util;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Where a result came from: the source commit of this build (from git in the install directory). */
public final class Provenance {
    private Provenance() {}

    /** Short commit hash, with "-dirty" when the sources (src/, pom.xml) differ from it; "unknown" without git. */
    public static String commit() {
        String home = System.getProperty("moore4j.home", ".");
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
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
