package dev.moore4j.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    public record Graph(Map<String, HostTensor> initializers, List<Node> nodes) {}

    /** Parses the graph's nodes and float initializers. */
    public static Graph parse(byte[] model, String source) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(model);
            in.setSizeLimit(Integer.MAX_VALUE);
            Graph g = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 7 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    g = parseGraph(in.readByteArray(), source);
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

    private static Graph parseGraph(byte[] bytes, String source) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        Map<String, HostTensor> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                nodes.add(parseNode(in.readByteArray()));
            } else if (field == 5 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                parseTensor(in.readByteArray(), inits, source);
            } else {
                in.skipField(tag);
            }
        }
        return new Graph(inits, nodes);
    }

    private static Node parseNode(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
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

    private static void parseTensor(byte[] bytes, Map<String, HostTensor> out, String source) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        byte[] raw = null;
        List<Float> floats = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            int wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) {
                            dims.add(in.readInt64());
                        }
                        in.popLimit(limit);
                    } else {
                        dims.add(in.readInt64());
                    }
                }
                case 2 -> dataType = in.readInt32();
                case 4 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) {
                            floats.add(in.readFloat());
                        }
                        in.popLimit(limit);
                    } else {
                        floats.add(in.readFloat());
                    }
                }
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteArray();
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
        long have = raw != null ? raw.length / 4 : floats.size();
        if (raw != null ? raw.length != 4 * n : floats.size() != n) {
            throw new MooreException(source + ": initializer '" + name + "' has " + (raw != null ? raw.length + " raw bytes" : have + " floats") + " for shape "
                    + dims + " (" + n + " floats)");
        }
        float[] data = new float[(int) n];
        if (raw != null) {
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        } else {
            for (int i = 0; i < n; i++) {
                data[i] = floats.get(i);
            }
        }
        out.put(name, new HostTensor(shape, data));
    }

    /**
     * BERT weights under Hugging Face names ([out, in] for linear weights). Named initializers keep
     * their names; each anonymous MatMul weight (stored [in, out]) is named after its consuming node
     * and transposed.
     */
    public static Map<String, HostTensor> bertWeights(Graph g, String source) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        g.initializers().forEach((k, v) -> {
            if (!k.startsWith("onnx::")) {
                out.put(k.startsWith("bert.") ? k.substring(5) : k, v);
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
            HostTensor w = null;
            for (String input : node.inputs()) {
                w = g.initializers().get(input);
                if (w != null) {
                    break;
                }
            }
            if (w == null || w.rank() != 2) {
                throw new MooreException(source + ": MatMul node '" + node.name() + "' has no 2-D weight initializer");
            }
            out.put(module + ".weight", w.transpose2d());
        }
        return out;
    }
}
