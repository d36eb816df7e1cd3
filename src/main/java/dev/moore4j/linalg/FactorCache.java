package dev.moore4j.linalg;

import dev.moore4j.MooreException;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * On-disk cache of thin SVD factors keyed by a SHA-256 of the matrix (shape, values and precision),
 * stored as safetensors, so each pretrained weight is factorised once per machine.
 * A corrupt cache entry is reported and recomputed.
 */
public final class FactorCache {
    private final Path dir; // null: caching disabled

    public FactorCache(Path dir) {
        this.dir = dir;
    }

    public static FactorCache disabled() {
        return new FactorCache(null);
    }

    /** Outcome of a lookup: the factors and whether they came from disk. */
    public record Result(Svd.Factors factors, boolean cached) {}

    public Result factorise(float[] a, int m, int n, Svd.Precision precision) {
        if (dir == null) {
            return new Result(Svd.thin(a, m, n, precision), false);
        }
        String key = key(a, m, n, precision);
        Path file = dir.resolve(key + ".safetensors");
        if (Files.isRegularFile(file)) {
            try {
                Map<String, HostTensor> t = Safetensors.readAll(file);
                int k = Math.min(m, n);
                HostTensor p = t.get("p");
                HostTensor s = t.get("s");
                HostTensor qt = t.get("qt");
                if (p != null && s != null && qt != null && p.data().length == m * k && s.data().length == k && qt.data().length == k * n) {
                    return new Result(new Svd.Factors(m, n, k, p.data(), s.data(), qt.data()), true);
                }
                System.err.println("warning: " + file + ": unexpected cache contents, recomputing");
            } catch (MooreException e) {
                System.err.println("warning: " + e.getMessage() + "; recomputing");
            }
        }
        Svd.Factors f = Svd.thin(a, m, n, precision);
        Safetensors.write(file, Map.of(
                "p", new HostTensor(new long[] {m, f.k()}, f.p()),
                "s", new HostTensor(new long[] {f.k()}, f.s()),
                "qt", new HostTensor(new long[] {f.k(), n}, f.qt())), Map.of("moore4j", "svd-factors"));
        return new Result(f, false);
    }

    static String key(float[] a, int m, int n, Svd.Precision precision) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(4 * a.length + 9).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(m).putInt(n).put((byte) (precision == Svd.Precision.FP64 ? 1 : 0)); // the key files already on disk keep their names
            b.asFloatBuffer().put(a);
            md.update(b.array());
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
