package dev.moore4j.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.engine.Engines;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The MKL vendor shim (src/main/native/mkl_vendor.c, preloaded by bin/moore on AMD CPUs): in a child JVM that
 * preloads it, MKL reports a wider kernel family than in this JVM, and a matmul gives the same numbers.
 */
class MklKernelsTest {
    /** Child JVM: prints MKL's code path, then the matmul's checksum. */
    public static void main(String[] args) {
        try (NDManager m = Engines.newManager(1)) {
            double sum = checksum(m);
            System.out.println(MklKernels.codePath().orElse(-1) + " " + MklKernels.vendorShim() + " " + sum);
        }
    }

    static double checksum(NDManager m) {
        NDArray a = m.arange(0f, 384f * 256f).reshape(new Shape(384, 256)).sin();
        NDArray b = m.arange(0f, 256f * 512f).reshape(new Shape(256, 512)).cos();
        return a.matMul(b).abs().sum().getFloat();
    }

    @Test
    void mklReportsItsKernelsOnceLibtorchIsLoaded() {
        try (NDManager m = Engines.newManager(1)) {
            checksum(m);
            assertThat(MklKernels.codePath()).as("libtorch's MKL code path").isPresent();
            assertThat(MklKernels.vendorShim()).isFalse();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theShimWidensMklsKernelsOnAmdAndKeepsTheResults(@TempDir Path dir) throws Exception {
        assumeTrue(Files.readString(Path.of("/proc/cpuinfo")).contains("AuthenticAMD"), "not an AMD CPU: MKL needs no shim here");
        Path so = dir.resolve("libmoore4j_mkl_vendor.so");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-O2", "-o", so.toString(), "src/main/native/mkl_vendor.c")
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException noCompiler) {
            assumeTrue(false, "no C compiler (cc): bin/moore runs without the shim here");
            return;
        }
        assertThat(cc.waitFor()).as(new String(cc.getInputStream().readAllBytes())).isZero();
        int plain;
        double plainSum;
        try (NDManager m = Engines.newManager(1)) {
            plainSum = checksum(m);
            plain = MklKernels.codePath().orElseThrow();
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), MklKernelsTest.class.getName()));
        pb.environment().put("LD_PRELOAD", so.toString());
        Process child = pb.redirectErrorStream(false).start();
        String out = new String(child.getInputStream().readAllBytes()).strip();
        assertThat(child.waitFor()).isZero();
        String[] f = out.lines().reduce((x, y) -> y).orElseThrow().split(" ");
        assertThat(Boolean.parseBoolean(f[1])).as("shim preloaded in the child").isTrue();
        assertThat(Integer.parseInt(f[0])).as("MKL code path with the shim, against %d without", plain).isGreaterThan(plain);
        assertThat(Double.parseDouble(f[2])).isCloseTo(plainSum, org.assertj.core.data.Percentage.withPercentage(1e-3));
    }
}
