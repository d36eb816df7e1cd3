package dev.moore4j.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import dev.moore4j.MooreException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the float initializers of an ONNX model (a protobuf ModelProto) without the ONNX runtime,
 * and names the anonymous MatMul weights of BERT exports after the node that consumes them.
 *
 * <p>Field numbers: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1,
 * name = 3, op_type = 4; TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9.
 */
public final class OnnxWeights {
    private static final int FLOAT = 1;
    private static final Pattern BERT_MATMUL = Pattern.compile(
            "/encoder/layer\\.(\\d+)/(attention/self/query|attention/self/key|attention/self/value|attention/output/dense|intermediate/dense|output/dense)/MatMul");

    private OnnxWeights() {}

    public record Node(String name, String opType, List<String> inputs) {}

    /** Where the raw_data of initializers lives: the model's bytes in memory, or its file. */
    @FunctionalInterface
    public interface RawBytes {
        /** Fills {@code dst} (its remaining bytes) from the model's byte {@code offset} on. */
        void read(long offset, ByteBuffer dst) throws IOException;

        static RawBytes of(ByteBuffer model) {
            return (offset, dst) -> dst.put(model.duplicate().position((int) offset).limit((int) offset + dst.remaining()));
        }

        static RawBytes of(FileChannel file) {
            return (offset, dst) -> {
                while (dst.hasRemaining()) {
                    int n = file.read(dst, offset);
                    if (n < 0) {
                        throw new IOException("file ends at byte " + offset);
                    }
                    offset += n;
                }
            };
        }
    }

    /**
     * A float initializer, not yet decoded: its values stay in the model (raw_data at {@code offset}) or in
     * {@code inline} (float_data) until {@link #read} copies them out, so a parse holds no copy of the weights.
     */
    public record Initializer(String name, long[] shape, RawBytes bytes, long offset, float[] inline) {
        private static final int CHUNK = 1 << 20;

        public HostTensor read() {
            int n = (int) HostTensor.numel(shape);
            float[] data = new float[n];
            if (inline != null) {
                System.arraycopy(inline, 0, data, 0, n);
                return new HostTensor(shape.clone(), data);
            }
            ByteBuffer chunk = ByteBuffer.allocate(Math.min(4 * n, CHUNK)).order(ByteOrder.LITTLE_ENDIAN); // small: no model-sized temporary
            try {
                for (int at = 0; at < n; ) {
                    int k = Math.min(n - at, chunk.capacity() / 4);
                    chunk.clear().limit(4 * k);
                    bytes.read(offset + 4L * at, chunk);
                    chunk.flip();
                    chunk.asFloatBuffer().get(data, at, k);
                    at += k;
                }
            } catch (IOException e) {
                throw new MooreException("initializer '" + name + "': cannot read its data: " + e.getMessage(), e);
            }
            return new HostTensor(shape.clone(), data);
        }
    }

    public record Graph(Map<String, Initializer> initializers, List<Node> nodes) {}

    /** Parses the graph's nodes and float initializers; the initializers keep pointing into {@code model}. */
    public static Graph parse(byte[] model, String source) {
        return parse(ByteBuffer.wrap(model), source);
    }

    /** As {@link #parse(byte[], String)}, over a buffer read from its position on. */
    public static Graph parse(ByteBuffer model, String source) {
        model = model.slice(); // offsets below count from the model's first byte
        return parse(CodedInputStream.newInstance(model.duplicate()), RawBytes.of(model), source);
    }

    /**
     * As {@link #parse(byte[], String)}, streaming the file: the weights are skipped, and read from {@code file} only
     * when a tensor is needed, so no copy of the whole model is ever in memory. {@code file} must stay open until then.
     */
    public static Graph parse(FileChannel file, String source) {
        try {
            return parse(CodedInputStream.newInstance(new BufferedInputStream(Channels.newInputStream(file.position(0)), 1 << 16)),
                    RawBytes.of(file), source);
        } catch (IOException e) {
            throw new MooreException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Graph parse(CodedInputStream in, RawBytes model, String source) {
        try {
            in.setSizeLimit(Integer.MAX_VALUE);
            Graph g = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    g = parseGraph(in, model, source);
                    in.popLimit(limit);
                } else {
                    in.skipField(tag);
                }
            }
            if (g == null) {
                throw new MooreException(source + ": not an ONNX model (no graph)");
            }
            return g;
        } catch (IOException e) {
            throw new MooreException(source + ": corrupt ONNX protobuf: " + e.getMessage(), e);
        }
    }

    private static Graph parseGraph(CodedInputStream in, RawBytes model, String source) throws IOException {
        Map<String, Initializer> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if ((field == 1 || field == 5) && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = in.pushLimit(in.readRawVarint32());
                if (field == 1) {
                    nodes.add(parseNode(in));
                } else {
                    parseTensor(in, model, inits, source);
                }
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        return new Graph(inits, nodes);
    }

    private static Node parseNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        String name = "";
        String op = "";
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 3 -> name = in.readString();
                case 4 -> op = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Node(name, op, inputs);
    }

    /** Reads one element of a repeated field as it comes: each in its own tag, or packed into one length-delimited run. */
    private interface Element {
        void read() throws IOException;
    }

    private static void repeated(CodedInputStream in, int wire, Element element) throws IOException {
        if (wire != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            element.read();
            return;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        while (in.getBytesUntilLimit() > 0) {
            element.read();
        }
        in.popLimit(limit);
    }

    private static void parseTensor(CodedInputStream in, RawBytes model, Map<String, Initializer> out, String source) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        int rawOffset = -1;
        int rawLength = 0;
        List<Float> floats = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            int wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> repeated(in, wire, () -> dims.add(in.readInt64()));
                case 2 -> dataType = in.readInt32();
                case 4 -> repeated(in, wire, () -> floats.add(in.readFloat()));
                case 8 -> name = in.readString();
                case 9 -> { // remember where the bytes are; skipping checks that they are all there
                    rawLength = in.readRawVarint32();
                    if (rawLength < 0) {
                        throw new MooreException(source + ": initializer '" + name + "' has a negative raw_data length");
                    }
                    rawOffset = in.getTotalBytesRead();
                    in.skipRawBytes(rawLength);
                }
                default -> in.skipField(tag);
            }
        }
        if (dataType != FLOAT) {
            return; // shape constants and int64 tensors are not weights
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long d : shape) { // the data present bounds the element count: checked before allocating (found by fuzzing)
            if (d < 0 || (d > 0 && n > Integer.MAX_VALUE / d)) {
                throw new MooreException(source + ": initializer '" + name + "' has an impossible shape " + dims);
            }
            n *= d;
        }
        boolean raw = rawOffset >= 0;
        if (raw ? rawLength != 4 * n : floats.size() != n) {
            throw new MooreException(source + ": initializer '" + name + "' has " + (raw ? rawLength + " raw bytes" : floats.size() + " floats")
                    + " for shape " + dims + " (" + n + " floats)");
        }
        float[] inline = null;
        if (!raw) {
            inline = new float[(int) n];
            for (int i = 0; i < n; i++) {
                inline[i] = floats.get(i);
            }
        }
        out.put(name, new Initializer(name, shape, raw ? model : null, rawOffset, inline));
    }

    /**
     * BERT weights under Hugging Face names ([out, in] for linear weights), read lazily. Named
     * initializers keep their names; each anonymous MatMul weight (stored [in, out]) is named after its
     * consuming node and transposed when read.
     */
    public static WeightSource bertWeights(Graph g, String source) {
        Map<String, Supplier<HostTensor>> out = new LinkedHashMap<>();
        g.initializers().forEach((k, v) -> {
            if (!k.startsWith("onnx::")) {
                out.put(k.startsWith("bert.") ? k.substring(5) : k, v::read);
            }
        });
        for (Node node : g.nodes()) {
            if (!node.opType().equals("MatMul")) {
                continue;
            }
            Matcher m = BERT_MATMUL.matcher(node.name());
            if (!m.matches()) {
                continue;
            }
            String module = "encoder.layer." + m.group(1) + "." + m.group(2).replace('/', '.');
            Initializer w = null;
            for (String input : node.inputs()) {
                w = g.initializers().get(input);
                if (w != null) {
                    break;
                }
            }
            if (w == null || w.shape().length != 2) {
                throw new MooreException(source + ": MatMul node '" + node.name() + "' has no 2-D weight initializer");
            }
            Initializer weight = w;
            out.put(module + ".weight", () -> weight.read().transpose2d());
        }
        return new WeightSource(source, out.keySet(), name -> out.get(name).get());
    }
}
