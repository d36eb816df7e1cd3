package dev.moore4j.util;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which kernel family oneMKL inside libtorch runs, as MKL itself reports it ({@code mkl_serv_cpu_detect}: 0 for its
 * generic path, higher for wider vector paths; 7 is AVX-512 in the 2024 releases). On AMD CPUs it is 0 unless
 * {@code bin/moore} preloads {@code src/main/native/mkl_vendor.c}; benchmarks report it so a figure says which it
 * ran on. Read once libtorch is loaded.
 */
public final class MklKernels {
    private MklKernels() {}

    /** MKL's code path, or empty when libtorch is not loaded or carries no MKL. */
    public static Optional<Integer> codePath() {
        Optional<Path> lib = loadedLibrary("libtorch_cpu.so");
        if (lib.isEmpty()) {
            return Optional.empty();
        }
        try {
            Function f = NativeLibrary.getInstance(lib.get().toString()).getFunction("mkl_serv_cpu_detect");
            return Optional.of(f.invokeInt(new Object[0]));
        } catch (UnsatisfiedLinkError noMkl) {
            return Optional.empty();
        }
    }

    /** Whether the vendor shim is preloaded into this process. */
    public static boolean vendorShim() {
        return loadedLibrary("libmoore4j_mkl_vendor.so").isPresent();
    }

    private static Optional<Path> loadedLibrary(String fileName) {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .map(l -> l.indexOf('/') >= 0 ? l.substring(l.indexOf('/')) : "")
                    .filter(p -> p.endsWith("/" + fileName))
                    .findFirst().map(Path::of);
        } catch (IOException | RuntimeException notLinux) {
            return Optional.empty();
        }
    }
}
