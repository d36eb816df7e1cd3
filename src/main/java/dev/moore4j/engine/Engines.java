package dev.moore4j.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.function.Supplier;

/**
 * One place that configures DJL before the first native call: offline mode (natives come from the
 * {@code pytorch-native-cpu} jar, never downloaded) and the libtorch thread counts.
 */
public final class Engines {
    private Engines() {}

    /** Configures DJL; must run before the engine is first touched. {@code threads <= 0} keeps libtorch's default. */
    public static synchronized Engine init(int threads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("DJL_CACHE_DIR", System.getProperty("DJL_CACHE_DIR", defaultCache()));
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        // DJL prints a warning per missing CUDA library on CPU machines; it is harmless.
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", System.getProperty("org.slf4j.simpleLogger.log.ai.djl", "error"));
        return Engine.getEngine("PyTorch");
    }

    /**
     * Whether a backward pass from {@code a} reaches anything: a leaf marked to require a gradient, or an
     * array made by recorded ops (DJL's {@code hasGradient} reports only arrays marked by hand, and its
     * {@code requiresGrad} only leaves).
     */
    public static boolean requiresGrad(NDArray a) {
        if (!(a instanceof PtNDArray p)) {
            return false;
        }
        String fn = JniUtils.getGradientFunctionNames(p);
        return JniUtils.requiresGrad(p) || (fn != null && !fn.isEmpty());
    }

    /** Whether autograd records ops on this thread now (inside a gradient collector, outside {@link #withoutGrad}). */
    public static boolean recordingGrad() {
        return JniUtils.isGradMode();
    }

    /** Runs {@code body} with autograd off on this thread (no graph, nothing saved for a backward pass), then restores it. */
    public static <T> T withoutGrad(Supplier<T> body) {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(was);
        }
    }

    public static NDManager newManager(int threads) {
        return init(threads).newBaseManager();
    }

    /** Threads from {@code $MOORE4J_THREADS}, else all cores. */
    public static int defaultThreads() {
        String env = System.getenv("MOORE4J_THREADS");
        if (env != null && !env.isBlank()) {
            return Integer.parseInt(env.trim());
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static String defaultCache() {
        String env = System.getenv("DJL_CACHE_DIR");
        return env != null ? env : System.getProperty("user.home") + "/.djl.ai";
    }
}
