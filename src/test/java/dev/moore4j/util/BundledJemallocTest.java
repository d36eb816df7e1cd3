package dev.moore4j.util;

import ai.djl.ndarray.NDManager;

import dev.moore4j.engine.Engines;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The allocator bin/moore brings where none is installed: the build's jemalloc (org.lwjgl:lwjgl-jemalloc) preloaded
 * through src/main/native/jemalloc_shim.c. Built here as bin/moore builds it; a child JVM that preloads it is served by
 * jemalloc (NativeTrimmer sees it and can purge it) and computes what this JVM computes.
 */
class BundledJemallocTest {
    /** Child JVM: prints the allocator, whether a purge ran, then a matmul's checksum. */
    public static void main(String[] args) {
        try (NDManager m = Engines.newManager(1)) {
            double sum = MklKernelsTest.checksum(m);
            System.out.println(NativeTrimmer.allocator() + " " + NativeTrimmer.release() + " " + sum);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theBuildsJemallocServesMallocAndKeepsTheResults(@TempDir Path dir) throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"), "LWJGL's linux x64 build only");
        String jar = List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).stream()
                .filter(p -> p.contains("lwjgl-jemalloc") && p.endsWith("natives-linux.jar")).findFirst().orElseThrow();
        try (ZipFile zip = new ZipFile(jar); InputStream in = zip.getInputStream(zip.getEntry("linux/x64/org/lwjgl/jemalloc/libjemalloc.so"))) {
            Files.copy(in, dir.resolve("libjemalloc.so.2"), StandardCopyOption.REPLACE_EXISTING);
        }
        Path so = dir.resolve("libmoore4j_jemalloc.so");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-O2", "-o", so.toString(), "src/main/native/jemalloc_shim.c", "-L" + dir,
                    "-l:libjemalloc.so.2", "-Wl,-rpath,$ORIGIN").redirectErrorStream(true).start();
        } catch (java.io.IOException noCompiler) {
            assumeTrue(false, "no C compiler (cc): bin/moore runs on glibc's malloc here");
            return;
        }
        assertThat(cc.waitFor()).as(new String(cc.getInputStream().readAllBytes())).isZero();
        double plainSum;
        try (NDManager m = Engines.newManager(1)) {
            plainSum = MklKernelsTest.checksum(m);
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), BundledJemallocTest.class.getName()));
        pb.environment().put("LD_PRELOAD", so.toString());
        Process child = pb.redirectErrorStream(false).start();
        String out = new String(child.getInputStream().readAllBytes()).strip();
        String err = new String(child.getErrorStream().readAllBytes());
        assertThat(child.waitFor()).as(err).isZero();
        String[] f = out.lines().reduce((x, y) -> y).orElseThrow().split(" ");
        assertThat(f[0]).as("the child's allocator").isEqualTo("JEMALLOC");
        assertThat(Boolean.parseBoolean(f[1])).as("jemalloc's arenas purged").isTrue();
        assertThat(Double.parseDouble(f[2])).isEqualTo(plainSum);
    }
}
