package dev.moore4j.io;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.model.load.HfCheckpoint;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Corrupt and wrong inputs give one-line errors naming the file and the tensor or field. */
class BadInputTest {

    static Map<String, HostTensor> tiny() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("a", new HostTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        t.put("b", new HostTensor(new long[] {4}, new float[] {7, 8, 9, 10}));
        return t;
    }

    static void rawFile(Path p, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(p, b.array());
    }

    static void assertOneLine(Throwable t) {
        assertThat(t.getMessage()).doesNotContain("\n");
    }

    @Test
    void safetensorsRoundTrip(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, tiny(), Map.of("k", "v"));
        Safetensors.Reader r = Safetensors.open(f);
        assertThat(r.metadata()).containsEntry("k", "v");
        assertThat(r.read("a").data()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(r.read("b", 4).shape()).containsExactly(4);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("t.safetensors"); // no temp file left behind
        }
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, tiny(), null);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 5));
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(MooreException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("'b'").hasMessageContaining("truncated")
                .satisfies(BadInputTest::assertOneLine);
        Files.write(f, Arrays.copyOf(all, 5));
        assertThatThrownBy(() -> Safetensors.open(f)).hasMessageContaining("truncated");
    }

    @Test
    void corruptHeader(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 2).putLong(0);
        Files.write(f, b.array());
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(MooreException.class).hasMessageContaining("header length");
        rawFile(f, "{not json", 0);
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(MooreException.class).hasMessageContaining("not JSON")
                .satisfies(BadInputTest::assertOneLine);
    }

    @Test
    void absurdSizesAndOverlaps(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        rawFile(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000000],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> Safetensors.open(f)).isInstanceOf(MooreException.class).hasMessageContaining("'w'");
        rawFile(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,160000000000]}}", 16);
        assertThatThrownBy(() -> Safetensors.open(f)).hasMessageContaining("'w'").hasMessageContaining("outside");
        rawFile(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
        assertThatThrownBy(() -> Safetensors.open(f)).hasMessageContaining("overlapping").hasMessageContaining("'w'").hasMessageContaining("'v'");
        rawFile(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> Safetensors.open(f)).hasMessageContaining("needs 12 bytes");
        rawFile(f, "{\"w\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16);
        assertThatThrownBy(() -> Safetensors.open(f)).hasMessageContaining("unknown dtype 'Q4'");
    }

    @Test
    void missingTensorAndWrongShape(@TempDir Path dir) throws IOException {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
            var llama = (LlamaModel) loaded.model();
            Map<String, HostTensor> w = new LinkedHashMap<>(llama.exportWeights());
            w.remove("model.layers.2.mlp.up_proj.weight");
            HfCheckpoint.writeLlama(dir, llama.config(), w);
            Files.copy(SharedPaths.models().resolve("stories260K/tok512.bin"), dir.resolve("tokenizer.bin"));
            assertThatThrownBy(() -> ModelLoader.load(dir.toString(), m)).isInstanceOf(MooreException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("missing tensor 'model.layers.2.mlp.up_proj.weight'");

            w = new LinkedHashMap<>(llama.exportWeights());
            w.put("model.norm.weight", new HostTensor(new long[] {3}, new float[3]));
            HfCheckpoint.writeLlama(dir, llama.config(), w);
            assertThatThrownBy(() -> ModelLoader.load(dir.toString(), m)).isInstanceOf(MooreException.class)
                    .hasMessageContaining("'model.norm.weight' has shape [3], expected [64]");

            Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"]}");
            assertThatThrownBy(() -> ModelLoader.load(dir.toString(), m)).isInstanceOf(MooreException.class)
                    .hasMessageContaining("config.json").hasMessageContaining("unsupported architecture 'GPT2LMHeadModel'");

            Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 512}");
            assertThatThrownBy(() -> ModelLoader.load(dir.toString(), m)).hasMessageContaining("field 'num_attention_heads' is missing");

            HfCheckpoint.writeLlama(dir, llama.config(), llama.exportWeights());
            Files.delete(dir.resolve("tokenizer.bin"));
            assertThatThrownBy(() -> ModelLoader.load(dir.toString(), m)).isInstanceOf(MooreException.class)
                    .hasMessageContaining("missing tokenizer").satisfies(BadInputTest::assertOneLine);
        }
    }

    @Test
    void shardedCheckpointLoads(@TempDir Path dir) throws IOException {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
            var llama = (LlamaModel) loaded.model();
            Map<String, HostTensor> all = llama.exportWeights();
            Map<String, HostTensor> a = new LinkedHashMap<>();
            Map<String, HostTensor> b = new LinkedHashMap<>();
            StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
            int i = 0;
            for (var e : all.entrySet()) {
                String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (shard.contains("00001-") ? a : b).put(e.getKey(), e.getValue());
                index.append(i > 1 ? "," : "").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
            }
            HfCheckpoint.writeLlama(dir, llama.config(), all);
            Files.delete(dir.resolve("model.safetensors"));
            Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), a, null);
            Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), b, null);
            Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
            Files.copy(SharedPaths.models().resolve("stories260K/tok512.bin"), dir.resolve("tokenizer.bin"));
            try (ModelLoader.Loaded sharded = ModelLoader.load(dir.toString(), m)) {
                assertThat(sharded.model().weightsHash()).isEqualTo(loaded.model().weightsHash());
            }
        }
    }

    @Test
    void truncatedLlama2cCheckpointAndUnknownModel(@TempDir Path dir) throws IOException {
        Path bin = dir.resolve("model.bin");
        byte[] all = Files.readAllBytes(SharedPaths.models().resolve("stories260K/stories260K.bin"));
        Files.write(bin, Arrays.copyOf(all, all.length / 2));
        Files.copy(SharedPaths.models().resolve("stories260K/tok512.bin"), dir.resolve("tok512.bin"));
        try (NDManager m = TestSupport.manager()) {
            assertThatThrownBy(() -> ModelLoader.load(bin.toString(), m)).isInstanceOf(MooreException.class)
                    .hasMessageContaining(bin.toString()).hasMessageContaining("truncated");
            assertThatThrownBy(() -> ModelLoader.load("no-such-model", m)).isInstanceOf(MooreException.class)
                    .hasMessageContaining("no-such-model").hasMessageContaining("minilm");
        }
    }
}
