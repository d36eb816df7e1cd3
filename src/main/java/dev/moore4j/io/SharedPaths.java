package dev.moore4j.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the shared models and datasets live: {@code $MOORE4J_SHARED}, else {@code ../shared} next to
 * the moore4j checkout ({@code moore4j.home}, set by bin/moore), else {@code ../shared} from the
 * working directory.
 */
public final class SharedPaths {
    private SharedPaths() {}

    public static Path shared() {
        String env = System.getenv("MOORE4J_SHARED");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String home = System.getProperty("moore4j.home");
        if (home != null) {
            Path p = Path.of(home).toAbsolutePath().resolveSibling("shared");
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        return Path.of("..", "shared").toAbsolutePath().normalize();
    }

    public static Path models() {
        return shared().resolve("models");
    }

    public static Path data() {
        String env = System.getenv("MOORE4J_DATA");
        return env != null && !env.isBlank() ? Path.of(env) : shared().resolve("data");
    }

    /** Cache for SVD factors: {@code $MOORE4J_CACHE}, else {@code ~/.cache/moore4j}. */
    public static Path cache() {
        String env = System.getenv("MOORE4J_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "moore4j");
    }
}
