package dev.moore4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Named checkpoint tensors (Hugging Face names, linear weights [out, in]) as a model builder sees
 * them: each lookup checks presence and shape and names the source in its error, and everything
 * read is hashed so the loaded model has a stable identity.
 */
public final class WeightSource {
    private static final int HASH_CHUNK = 1 << 16;
    private final String source;
    private final Set<String> names;
    private final Function<String, HostTensor> reader;
    private final Set<String> used = new LinkedHashSet<>();
    private final MessageDigest digest;

    public WeightSource(String source, Set<String> names, Function<String, HostTensor> reader) {
        this.source = source;
        this.names = new LinkedHashSet<>(names);
        this.reader = reader;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static WeightSource of(String source, Map<String, HostTensor> tensors) {
        return new WeightSource(source, tensors.keySet(), tensors::get);
    }

    public String source() {
        return source;
    }

    public Set<String> names() {
        return names;
    }

    public boolean has(String name) {
        return names.contains(name);
    }

    /** Reads a tensor, requiring the given shape. */
    public HostTensor get(String name, long... shape) {
        if (!names.contains(name)) {
            throw new MooreException(source + ": missing tensor '" + name + "'");
        }
        HostTensor t = reader.apply(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new MooreException(source + ": tensor '" + name + "' has shape " + t.shapeString() + ", expected " + Arrays.toString(shape));
        }
        used.add(name);
        digest.update(name.getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.allocate(4 * HASH_CHUNK).order(ByteOrder.LITTLE_ENDIAN); // chunks: no second copy of a large tensor
        float[] data = t.data();
        for (int i = 0; i < data.length; i += HASH_CHUNK) {
            int n = Math.min(HASH_CHUNK, data.length - i);
            b.clear();
            b.asFloatBuffer().put(data, i, n);
            b.limit(4 * n);
            digest.update(b);
        }
        return t;
    }

    /** A tensor as stored, without the shape check and without counting it as used or hashing it (for conversions). */
    public HostTensor raw(String name) {
        if (!names.contains(name)) {
            throw new MooreException(source + ": missing tensor '" + name + "'");
        }
        return reader.apply(name);
    }

    public NDArray nd(String name, NDManager m, long... shape) {
        return get(name, shape).toNd(m);
    }

    /** A linear weight stored [out, in], returned as a contiguous [in, out] array. */
    public NDArray linearInOut(String name, NDManager m, long in, long out) {
        return get(name, out, in).transpose2d().toNd(m);
    }

    /** Names present in the checkpoint but not used by the model (e.g. a pooler head). */
    public List<String> unused() {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (!used.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /** Warns (stderr) about unused tensors other than the known harmless ones. */
    public void checkAllUsed() {
        List<String> unused = unused().stream()
                .filter(n -> !n.startsWith("pooler.") && !n.endsWith("position_ids") && !n.startsWith("cls.") && !n.contains("rotary_emb"))
                .toList();
        if (!unused.isEmpty()) {
            System.err.println("warning: " + source + ": " + unused.size() + " tensors not used by the model, e.g. " + unused.get(0));
        }
    }

    /** SHA-256 (first 16 hex digits) of every tensor read so far, in read order. */
    public String hash() {
        try {
            MessageDigest copy = (MessageDigest) digest.clone();
            return HexFormat.of().formatHex(copy.digest()).substring(0, 16);
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
