package dev.moore4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.moore4j.TestSupport;
import dev.moore4j.model.load.HfCheckpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Safetensors mapped into native arrays: the same values and the same weight hash as the heap path, for fp32 and
 * fp16 files; the hash cached by file identity and recomputed when the file or the tensors read change; and a tensor
 * larger than the whole Java heap loads.
 */
class MappedWeightsTest {
    /** A safetensors file with one fp32 matrix [3, 5] and one fp16 vector [4] (values exact in fp16). */
    static Path write(Path dir, float seed) throws Exception {
        Files.createDirectories(dir);
        float[] m = new float[15];
        for (int i = 0; i < m.length; i++) {
            m[i] = seed + i * 0.25f - 1;
        }
        short[] h = {0x3c00, (short) 0xc000, 0x3800, 0x0000}; // 1, -2, 0.5, 0
        String header = "{\"m\":{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[0,60]},"
                + "\"v\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[60,68]}}";
        byte[] hb = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + hb.length + 68).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(hb.length).put(hb);
        for (float x : m) {
            b.putFloat(x);
        }
        for (short x : h) {
            b.putShort(x);
        }
        Path file = dir.resolve("model.safetensors");
        Files.write(file, b.array());
        return dir;
    }

    record Loaded(float[] m, float[] mInOut, float[] v, String hash) {}

    static Loaded load(WeightSource w, NDManager nd) {
        NDArray m = w.nd("m", nd, 3, 5);
        NDArray t = w.linearInOut("m", nd, 5, 3);
        NDArray v = w.nd("v", nd, 4);
        return new Loaded(m.toFloatArray(), t.toFloatArray(), v.toFloatArray(), w.hash());
    }

    @Test
    void mappedTensorsEqualTheHeapPathAndHashAlike(@TempDir Path dir) throws Exception {
        Path ck = write(dir.resolve("a"), 0.5f);
        try (NDManager nd = TestSupport.manager()) {
            Map<String, HostTensor> all = Safetensors.readAll(ck.resolve("model.safetensors"));
            Loaded heap = load(WeightSource.of("heap", all), nd);
            Loaded mapped = load(HfCheckpoint.weights(ck, null), nd);
            assertThat(mapped.m()).containsExactly(heap.m());
            assertThat(mapped.mInOut()).containsExactly(heap.mInOut());
            assertThat(mapped.mInOut()[1]).isEqualTo(heap.m()[5]); // [in, out]: row 1 is column 1 of the stored [out, in]
            assertThat(mapped.v()).containsExactly(1f, -2f, 0.5f, 0f);
            assertThat(mapped.hash()).isEqualTo(heap.hash());
            // the second open finds the hash by the file's identity, and it is the same
            assertThat(load(HfCheckpoint.weights(ck, null), nd).hash()).isEqualTo(heap.hash());
            // a model that reads less is hashed over what it reads, cache or not
            WeightSource part = HfCheckpoint.weights(ck, null);
            part.nd("v", nd, 4).close();
            WeightSource partHeap = WeightSource.of("heap", all);
            partHeap.nd("v", nd, 4).close();
            assertThat(part.hash()).isEqualTo(partHeap.hash()).isNotEqualTo(heap.hash());
            // other values in a file of the same size: a new identity, a new hash
            Thread.sleep(5);
            write(dir.resolve("a"), 0.75f);
            Loaded changed = load(HfCheckpoint.weights(ck, null), nd);
            assertThat(changed.hash()).isNotEqualTo(heap.hash())
                    .isEqualTo(load(WeightSource.of("heap", Safetensors.readAll(ck.resolve("model.safetensors"))), nd).hash());
        }
    }

    /** Child JVM: maps a tensor and prints its sum (run under a heap smaller than the tensor). */
    public static void main(String[] args) {
        try (NDManager nd = dev.moore4j.engine.Engines.newManager(1)) {
            WeightSource w = HfCheckpoint.weights(Path.of(args[0]), null);
            NDArray a = w.nd("big", nd, Long.parseLong(args[1]), 1024);
            System.out.println("sum " + a.sum().getFloat());
        }
    }

    @Test
    void aTensorLargerThanTheHeapLoads(@TempDir Path dir) throws Exception {
        long rows = 32 * 1024; // 128 MB of fp32, under a 64 MB heap
        Map<String, HostTensor> t = new LinkedHashMap<>();
        float[] data = new float[(int) (rows * 1024)];
        data[0] = 3;
        data[data.length - 1] = 4;
        t.put("big", new HostTensor(new long[] {rows, 1024}, data));
        Safetensors.write(dir.resolve("model.safetensors"), t, null);
        data = null;
        t.clear();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), MappedWeightsTest.class.getName(), dir.toString(),
                Long.toString(rows)).redirectErrorStream(true);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String log = out.toString(StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(log).contains("sum 7.0");
    }

}
