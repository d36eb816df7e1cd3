package dev.moore4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moore4j.MooreException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

class JarEntryCacheTest {
    private static Path jar(Path dir, byte[] model) throws Exception {
        Path jar = dir.resolve("model-1.0.jar");
        try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream z = new ZipOutputStream(os)) {
            z.putNextEntry(new ZipEntry("m.onnx"));
            z.write(model);
            z.closeEntry();
        }
        return jar;
    }

    @Test
    void extractsOnceMapsAfterwardsAndReplacesADamagedCopy(@TempDir Path dir) throws Exception {
        byte[] model = new byte[300_000];
        new Random(1).nextBytes(model);
        Path jar = jar(dir, model);
        JarEntryCache cache = new JarEntryCache(dir.resolve("cache"));
        Path copy = dir.resolve("cache").resolve("model-1.0.jar").resolve("m.onnx");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            assertThat(cache.file(jar, zip, "m.onnx")).isEqualTo(copy);
            assertThat(Files.readAllBytes(copy)).isEqualTo(model);
            long written = Files.getLastModifiedTime(copy).toMillis();
            Thread.sleep(20);
            assertThat(cache.file(jar, zip, "m.onnx")).isEqualTo(copy);
            assertThat(Files.getLastModifiedTime(copy).toMillis()).as("reused, not extracted again").isEqualTo(written);

            byte[] damaged = model.clone();
            damaged[12_345] ^= 1; // same size, other bytes: only the CRC tells
            Files.write(copy, damaged);
            assertThat(cache.file(jar, zip, "m.onnx")).isEqualTo(copy);
            assertThat(Files.readAllBytes(copy)).isEqualTo(model);

            assertThatThrownBy(() -> cache.file(jar, zip, "other.onnx")).isInstanceOf(MooreException.class)
                    .hasMessageContaining("model-1.0.jar").hasMessageContaining("other.onnx");
        }
    }

    @Test
    void givesNoFileWhenTheCacheCannotBeWritten(@TempDir Path dir) throws Exception {
        byte[] model = "not a real model".getBytes();
        Path jar = jar(dir, model);
        Path blocker = dir.resolve("cache");
        Files.writeString(blocker, "a file where the cache folder would be");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            assertThat(new JarEntryCache(blocker).file(jar, zip, "m.onnx")).isNull();
            assertThat(JarEntryCache.readEntry(jar, zip, "m.onnx")).isEqualTo(model);
        }
    }
}
