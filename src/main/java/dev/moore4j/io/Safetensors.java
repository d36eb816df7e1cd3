package dev.moore4j.io;

import ai.djl.ndarray.types.DataType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reader and writer for the Hugging Face safetensors format: an 8-byte little-endian header length,
 * a JSON header {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then
 * the raw little-endian data. Every header field is validated against the file before any data is
 * touched, so a corrupt file yields one clear error naming the file and the tensor.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** Where one tensor's bytes live inside a file. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {}

    /** An opened, validated file: its entries and metadata; data is read on demand. */
    public static final class Reader {
        private final Path path;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;

        private Reader(Path path, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
            this.path = path;
            this.dataStart = dataStart;
            this.entries = entries;
            this.metadata = metadata;
        }

        public Path path() {
            return path;
        }

        public Map<String, Entry> entries() {
            return Collections.unmodifiableMap(entries);
        }

        public Map<String, String> metadata() {
            return Collections.unmodifiableMap(metadata);
        }

        public boolean has(String name) {
            return entries.containsKey(name);
        }

        /** Reads one tensor as float32 (F32, F16, BF16 and F64 are converted). */
        public HostTensor read(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new MooreException(path + ": missing tensor '" + name + "'");
            }
            long n = HostTensor.numel(e.shape);
            if (n > Integer.MAX_VALUE) {
                throw new MooreException(path + ": tensor '" + name + "' has " + n + " elements, more than one array can hold");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long pos = dataStart + e.begin;
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, pos);
                    if (r < 0) {
                        throw new MooreException(path + ": truncated while reading tensor '" + name + "'");
                    }
                    pos += r;
                }
            } catch (IOException ex) {
                throw new MooreException(path + ": cannot read tensor '" + name + "': " + ex.getMessage(), ex);
            }
            buf.flip();
            float[] out = new float[(int) n];
            switch (e.dtype) {
                case "F32" -> buf.asFloatBuffer().get(out);
                case "F64" -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) buf.getDouble();
                    }
                }
                case "F16" -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = halfToFloat(buf.getShort());
                    }
                }
                case "BF16" -> {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                    }
                }
                default -> throw new MooreException(path + ": tensor '" + name + "' has dtype " + e.dtype + ", which cannot be read as float");
            }
            return new HostTensor(e.shape.clone(), out);
        }

        /**
         * The tensor's bytes mapped from the file, for a native copy without the Java heap ({@link MappedTensor}); null
         * where the stored dtype has no native path here (BF16, F64: DJL 0.36 has no BF16; they are read as floats).
         */
        public MappedTensor map(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                throw new MooreException(path + ": missing tensor '" + name + "'");
            }
            DataType dt = switch (e.dtype) {
                case "F32" -> DataType.FLOAT32;
                case "F16" -> DataType.FLOAT16;
                default -> null;
            };
            if (dt == null || e.end - e.begin > Integer.MAX_VALUE || e.end == e.begin) {
                return null;
            }
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin, e.end - e.begin);
                b.order(ByteOrder.LITTLE_ENDIAN);
                return new MappedTensor(e.shape.clone(), dt, b);
            } catch (IOException ex) {
                throw new MooreException(path + ": cannot map tensor '" + name + "': " + ex.getMessage(), ex);
            }
        }

        /** What identifies the file's bytes without reading them: its real path, size, modification time and file key. */
        public String identity() {
            try {
                var a = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
                return path.toRealPath() + "|" + a.size() + "|" + a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS) + "|" + a.fileKey();
            } catch (IOException ex) {
                throw new MooreException(path + ": cannot stat: " + ex.getMessage(), ex);
            }
        }

        /** Reads a tensor and checks its shape. */
        public HostTensor read(String name, long... expectedShape) {
            Entry e = entries.get(name);
            if (e != null && !Arrays.equals(e.shape, expectedShape)) {
                throw new MooreException(path + ": tensor '" + name + "' has shape " + Arrays.toString(e.shape)
                        + ", expected " + Arrays.toString(expectedShape));
            }
            return read(name);
        }
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat needs Java 20). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) { // zero or subnormal
            return Float.intBitsToFloat(sign) + (sign != 0 ? -1 : 1) * mant * 0x1p-24f;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    private static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    /** Opens and validates a safetensors file. */
    public static Reader open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new MooreException(path + ": no such safetensors file");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new MooreException(path + ": truncated safetensors file (" + size + " bytes, no header length)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new MooreException(path + ": corrupt safetensors header length " + headerLen + " (file has " + size + " bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, 8);
            String headerText = new String(hb.array(), StandardCharsets.UTF_8);
            JsonNode header;
            try {
                header = JSON.readTree(headerText);
            } catch (IOException ex) {
                throw new MooreException(path + ": corrupt safetensors header (not JSON: " + firstLine(ex.getMessage()) + ")");
            }
            if (header == null || !header.isObject()) {
                throw new MooreException(path + ": corrupt safetensors header (not a JSON object)");
            }
            long dataLen = size - 8 - headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String name = f.getKey();
                JsonNode v = f.getValue();
                if (name.equals("__metadata__")) {
                    v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(name, parseEntry(path, name, v, dataLen));
            }
            checkOverlaps(path, entries);
            return new Reader(path, 8 + headerLen, entries, metadata);
        } catch (IOException ex) {
            throw new MooreException(path + ": cannot read: " + ex.getMessage(), ex);
        }
    }

    private static Entry parseEntry(Path path, String name, JsonNode v, long dataLen) {
        String where = path + ": tensor '" + name + "'";
        if (!v.isObject() || !v.path("dtype").isTextual() || !v.path("shape").isArray() || !v.path("data_offsets").isArray()
                || v.path("data_offsets").size() != 2) {
            throw new MooreException(where + ": header entry needs dtype, shape and data_offsets [begin, end]");
        }
        String dtype = v.get("dtype").asText();
        int es = dtypeSize(dtype);
        if (es < 0) {
            throw new MooreException(where + ": unknown dtype '" + dtype + "'");
        }
        long[] shape = new long[v.get("shape").size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = v.get("shape").get(i);
            if (!d.canConvertToLong() || d.asLong() < 0 || d.asLong() > (1L << 40)) {
                throw new MooreException(where + ": absurd dimension " + d + " in shape");
            }
            shape[i] = d.asLong();
            numel = Math.multiplyHigh(numel, shape[i]) != 0 ? Long.MAX_VALUE : numel * shape[i];
        }
        JsonNode b = v.get("data_offsets").get(0);
        JsonNode e = v.get("data_offsets").get(1);
        if (!b.canConvertToLong() || !e.canConvertToLong()) {
            throw new MooreException(where + ": data_offsets must be integers");
        }
        long begin = b.asLong();
        long end = e.asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new MooreException(where + ": data_offsets [" + begin + ", " + end + "] lie outside the " + dataLen
                    + " data bytes (truncated or corrupt file)");
        }
        if (numel == Long.MAX_VALUE || numel * es != end - begin) {
            throw new MooreException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + (numel == Long.MAX_VALUE ? "an absurd number of" : Long.toString(numel * es)) + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkOverlaps(Path path, Map<String, Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1);
            Entry cur = sorted.get(i);
            if (cur.begin < prev.end) {
                throw new MooreException(path + ": tensors '" + prev.name + "' and '" + cur.name + "' have overlapping data_offsets");
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Reads every tensor of a file. */
    public static Map<String, HostTensor> readAll(Path path) {
        Reader r = open(path);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String name : r.entries().keySet()) {
            out.put(name, r.read(name));
        }
        return out;
    }

    /**
     * A tensor to write whose values are fetched only when its turn comes: a large state (full fine-tuning's AdamW
     * moments) then passes through the Java heap one tensor at a time, not all at once.
     */
    public record Source(long[] shape, java.util.function.Supplier<float[]> data) {
        public static Source of(HostTensor t) {
            return new Source(t.shape(), t::data);
        }
    }

    /**
     * Writes float32 tensors (sorted by name) with optional string metadata. The file is written to a
     * temporary sibling and renamed into place, so readers never see half a file.
     */
    public static void write(Path path, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Map<String, Source> sources = new TreeMap<>();
        tensors.forEach((k, v) -> sources.put(k, Source.of(v)));
        writeSources(path, sources, metadata);
    }

    /** As {@link #write}, each tensor's values fetched as it is written, and written in chunks of at most 1 MiB. */
    public static void writeSources(Path path, Map<String, Source> tensors, Map<String, String> metadata) {
        Map<String, Source> sorted = new TreeMap<>(tensors);
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Source> e : sorted.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * HostTensor.numel(e.getValue().shape());
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] hdr = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (hdr.length + 7) / 8 * 8; // keep data 8-byte aligned, padding with spaces as the format allows
        byte[] hdrPadded = Arrays.copyOf(hdr, padded);
        Arrays.fill(hdrPadded, hdr.length, padded, (byte) ' ');
        AtomicFiles.write(path, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            ch.write(len.flip());
            ch.write(ByteBuffer.wrap(hdrPadded));
            ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Source> e : sorted.entrySet()) {
                float[] data = e.getValue().data().get();
                if (data.length != HostTensor.numel(e.getValue().shape())) {
                    throw new IllegalStateException(path + ": tensor '" + e.getKey() + "' has " + data.length + " values for shape "
                            + Arrays.toString(e.getValue().shape()));
                }
                for (int from = 0; from < data.length; from += b.capacity() / 4) {
                    int n = Math.min(b.capacity() / 4, data.length - from);
                    b.clear();
                    b.asFloatBuffer().put(data, from, n);
                    b.limit(4 * n);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            }
        });
    }
}
