package dev.moore4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

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
 * read is hashed so the loaded model has a stable identity. Where the source can map a tensor from its file
 * ({@link MappedTensor}), it becomes a native array without passing through the Java heap. Where the source has a
 * file identity, the hash of what a model reads is cached under it (the second open of a 2 GB checkpoint does not
 * read every byte again to name it); a model that reads other tensors than the cached one gets its hash computed.
 */
public final class WeightSource {
    private static final int HASH_CHUNK = 1 << 16;
    private final String source;
    private final Set<String> names;
    private final Function<String, HostTensor> reader;
    private final Function<String, MappedTensor> mapper;
    private final String identity;
    private final Set<String> used = new LinkedHashSet<>();
    private final List<String> reads = new ArrayList<>();
    private final MessageDigest digest;
    /** Names and shapes in read order: what the cached hash was computed over. */
    private final MessageDigest readOrder;
    /** The cache's entry for this identity (read order digest, hash), or null: then the data is hashed as it is read. */
    private final String[] cached;
    private DataType frozen = DataType.FLOAT32; // what linear weights and embeddings are held as

    public WeightSource(String source, Set<String> names, Function<String, HostTensor> reader) {
        this(source, names, reader, n -> null, null);
    }

    /**
     * @param mapper   a tensor's mapped bytes, or null where it has none (then {@code reader} reads it)
     * @param identity what identifies the files' bytes (paths, sizes, times), or null: no hash cache
     */
    public WeightSource(String source, Set<String> names, Function<String, HostTensor> reader, Function<String, MappedTensor> mapper,
                        String identity) {
        this.source = source;
        this.names = new LinkedHashSet<>(names);
        this.reader = reader;
        this.mapper = mapper;
        this.identity = identity;
        this.digest = sha256();
        this.readOrder = sha256();
        this.cached = identity == null ? null : HashCache.read(identity);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tensor that is a range of rows of another (one part of a fused projection). */
    public record RowRange(String of, long from, long count) {}

    /**
     * This source with each name of {@code parts} reading its rows of the stored tensor, and the stored (fused) tensors
     * in place of none: a model reads {@code q_proj} where the file holds {@code qkv_proj}. Mapped where the whole is.
     */
    public WeightSource withRowRanges(Map<String, RowRange> parts) {
        Set<String> out = new LinkedHashSet<>(names);
        parts.values().forEach(r -> out.remove(r.of()));
        out.addAll(parts.keySet());
        WeightSource ranged = new WeightSource(source, out, n -> {
            RowRange r = parts.get(n);
            return r == null ? reader.apply(n) : reader.apply(r.of()).rows(r.from(), r.count());
        }, n -> {
            RowRange r = parts.get(n);
            if (r == null) {
                return mapper.apply(n);
            }
            MappedTensor whole = mapper.apply(r.of());
            return whole == null ? null : whole.rows(r.from(), r.count());
        }, identity == null ? null : identity + "|rows" + new java.util.TreeMap<>(parts));
        ranged.frozen = frozen;
        return ranged;
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
        require(name);
        HostTensor t = reader.apply(name);
        checkShape(name, t.shape(), shape);
        record(name, shape);
        if (cached == null) {
            hashFloats(name, t.data());
        }
        return t;
    }

    private void require(String name) {
        if (!names.contains(name)) {
            throw new MooreException(source + ": missing tensor '" + name + "'");
        }
    }

    private void checkShape(String name, long[] actual, long[] expected) {
        if (!Arrays.equals(actual, expected)) {
            throw new MooreException(source + ": tensor '" + name + "' has shape " + Arrays.toString(actual) + ", expected " + Arrays.toString(expected));
        }
    }

    private void record(String name, long[] shape) {
        used.add(name);
        reads.add(name);
        readOrder.update((name + Arrays.toString(shape) + "\u0000").getBytes(StandardCharsets.UTF_8));
    }

    /** The name, then the values as little-endian fp32 bytes: what the model's identity is computed over. */
    private void hashFloats(String name, float[] data) {
        digest.update(name.getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.allocate(4 * HASH_CHUNK).order(ByteOrder.LITTLE_ENDIAN); // chunks: no second copy of a large tensor
        for (int i = 0; i < data.length; i += HASH_CHUNK) {
            int n = Math.min(HASH_CHUNK, data.length - i);
            b.clear();
            b.asFloatBuffer().put(data, i, n);
            b.limit(4 * n);
            digest.update(b);
        }
    }

    /** The same bytes as {@link #hashFloats} for a mapped tensor: fp32 as stored, fp16 widened chunk by chunk. */
    private void hashMapped(String name, MappedTensor t) {
        digest.update(name.getBytes(StandardCharsets.UTF_8));
        ByteBuffer v = t.view().order(ByteOrder.LITTLE_ENDIAN);
        if (t.dtype() == DataType.FLOAT32) {
            digest.update(v);
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * HASH_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        while (v.hasRemaining()) {
            b.clear();
            for (int i = 0; i < HASH_CHUNK && v.hasRemaining(); i++) {
                b.putFloat(Safetensors.halfToFloat(v.getShort()));
            }
            b.flip();
            digest.update(b);
        }
    }

    /** A mapped tensor of the given shape, recorded and hashed; null where the source has no mapping for it. */
    private MappedTensor mapped(String name, long... shape) {
        require(name);
        MappedTensor t = mapper.apply(name);
        if (t == null) {
            return null;
        }
        checkShape(name, t.shape(), shape);
        record(name, shape);
        if (cached == null) {
            hashMapped(name, t);
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
        MappedTensor t = mapped(name, shape);
        return t != null ? t.toNd(m, false) : get(name, shape).toNd(m);
    }

    /** Holds frozen weights ({@link #linearInOut}, {@link #frozen}) as {@code dtype}; fp32 unless set. */
    public WeightSource frozenAs(WeightsDtype dtype) {
        this.frozen = dtype.storage();
        return this;
    }

    /** A frozen tensor (e.g. token embeddings) in the frozen dtype. */
    public NDArray frozen(String name, NDManager m, long... shape) {
        MappedTensor t = mapped(name, shape);
        return t != null ? t.toNd(m, false, frozen) : narrow(get(name, shape).toNd(m));
    }

    /** A linear weight stored [out, in], returned as a contiguous [in, out] array in the frozen dtype. */
    public NDArray linearInOut(String name, NDManager m, long in, long out) {
        MappedTensor t = mapped(name, out, in);
        return t != null ? t.toNd(m, true, frozen) : narrow(get(name, out, in).transpose2d().toNd(m));
    }

    private NDArray narrow(NDArray fp32) {
        if (frozen == DataType.FLOAT32) {
            return fp32;
        }
        NDArray n = fp32.toType(frozen, false);
        fp32.close();
        return n;
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

    /** SHA-256 (first 16 hex digits) of every tensor read so far, in read order (names and values). */
    public String hash() {
        String order = hex(readOrder);
        if (cached != null && cached[0].equals(order)) {
            return cached[1];
        }
        if (cached != null) { // the cache named another read: hash what this one read, now
            for (String name : reads) {
                MappedTensor t = mapper.apply(name);
                if (t != null) {
                    hashMapped(name, t);
                    MappedTensor.unmap(t.bytes());
                } else {
                    hashFloats(name, reader.apply(name).data());
                }
            }
        }
        String h = hex(digest).substring(0, 16);
        if (identity != null) {
            HashCache.write(identity, order, h);
        }
        return h;
    }

    private static String hex(MessageDigest d) {
        try {
            return HexFormat.of().formatHex(((MessageDigest) d.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
