package dev.moore4j.io;

import dev.moore4j.task.BadRows;
import dev.moore4j.MooreException;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.model.load.Llama2cCheckpoint;
import dev.moore4j.task.DataReaders;
import dev.moore4j.task.TaskRegistry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Inputs cannot make a reader allocate beyond what their size justifies; limits name what to raise. */
class ResourceBoundsTest {
    static long allocated(Runnable r) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        try {
            r.run();
        } catch (MooreException e) {
            // expected: the point is how much it cost to get here
        }
        return mx.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void aHeaderDeclaringATrillionElementsIsRefusedWithoutAllocatingThem(@TempDir Path dir) throws Exception {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,16]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("huge.safetensors");
        Files.write(f, b.array());
        assertThatThrownBy(() -> Safetensors.open(f).read("w")).isInstanceOf(MooreException.class).hasMessageContaining("w");
        assertThat(allocated(() -> Safetensors.open(f).read("w"))).isLessThan(16 << 20);
        // llama2.c: a header claiming a vast model in a 28-byte file
        ByteBuffer l = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : new int[] {1 << 20, 1 << 22, 64, 32, 32, 1 << 20, 1 << 16}) {
            l.putInt(v);
        }
        Path lf = dir.resolve("huge.bin");
        Files.write(lf, l.array());
        assertThatThrownBy(() -> Llama2cCheckpoint.read(lf)).isInstanceOf(MooreException.class);
        assertThat(allocated(() -> Llama2cCheckpoint.read(lf))).isLessThan(16 << 20);
    }

    @Test
    void aYamlBombIsRefused(@TempDir Path dir) throws Exception {
        StringBuilder y = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (int i = 1; i < 10; i++) {
            y.append("a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                y.append(j > 0 ? "," : "").append("*a").append(i - 1);
            }
            y.append("]\n");
        }
        y.append("name: bomb\nkind: classification\nlabels: *a9\ntrain: t.jsonl\neval: e.jsonl\n");
        Path spec = dir.resolve("bomb.yaml");
        Files.writeString(spec, y);
        assertThatThrownBy(() -> TaskRegistry.readUserSpec(spec)).isInstanceOf(MooreException.class).hasMessageContaining("bomb.yaml");
        assertThat(allocated(() -> TaskRegistry.readUserSpec(spec))).isLessThan(64 << 20);
        Path cfg = dir.resolve("bomb-config.yaml");
        Files.writeString(cfg, y.toString().replace("name: bomb", "tasks: *a9\nmodel: minilm"));
        assertThatThrownBy(() -> TrainConfig.read(cfg)).isInstanceOf(MooreException.class);
        assertThat(allocated(() -> TrainConfig.read(cfg))).isLessThan(64 << 20);
    }

    @Test
    void tooManyRowsOrAnOverlongRowAreRefusedNamingTheLimit(@TempDir Path dir) throws Exception {
        Path many = dir.resolve("train.tsv");
        StringBuilder sb = new StringBuilder("sentence\tlabel\n");
        String row = "ok\t1\n";
        try (var w = Files.newBufferedWriter(many)) {
            w.write(sb.toString());
            for (int i = 0; i < 5_000_001; i++) {
                w.write(row);
            }
        }
        assertThatThrownBy(() -> DataReaders.read(TaskRegistry.resolve("sst2"), many, BadRows.STOP)).isInstanceOf(MooreException.class)
                .hasMessageContaining("more than 5000000 rows").hasMessageContaining("MOORE4J_MAX_ROWS");
        Path wide = dir.resolve("wide.jsonl");
        Files.writeString(wide, "{\"sentence\": \"" + "x".repeat(2 << 20) + "\"}\n");
        assertThatThrownBy(() -> DataReaders.read(TaskRegistry.resolve("winogrande"), wide, BadRows.STOP)).isInstanceOf(MooreException.class)
                .hasMessageContaining("wide.jsonl:1").hasMessageContaining("MOORE4J_MAX_ROW_KB");
        assertThat(allocated(() -> DataReaders.read(TaskRegistry.resolve("winogrande"), wide, BadRows.STOP))).isLessThan(16 << 20);
    }
}
