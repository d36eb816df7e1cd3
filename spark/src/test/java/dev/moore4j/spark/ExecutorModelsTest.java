package dev.moore4j.spark;

import dev.moore4j.MooreException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where an executor finds the adapter: a local path as is, any other file system copied to local disk once. */
class ExecutorModelsTest {
    @TempDir
    Path dir;

    Path adapter() throws Exception {
        Path a = Files.createDirectories(dir.resolve("my adapter"));
        Files.writeString(a.resolve("adapter.json"), "{\"method\": \"moore\"}");
        Files.write(Files.createDirectories(a.resolve("weights")).resolve("w.bin"), new byte[] {1, 2, 3, 4});
        return a;
    }

    @Test
    void aLocalPathOrFileUriIsUsedInPlace() throws Exception {
        Path a = adapter();
        assertThat(ExecutorModels.local(a.toString())).isEqualTo(a);
        assertThat(ExecutorModels.local(a.toUri().toString())).isEqualTo(a);
    }

    @Test
    void anotherFileSystemIsCopiedWithItsTree() throws Exception {
        Path a = adapter();
        Path local = ExecutorModels.local(OtherSchemeFileSystem.SCHEME + "://" + a);
        assertThat(local).isNotEqualTo(a).isDirectory();
        assertThat(local.getFileName().toString()).isEqualTo("my adapter");
        assertThat(Files.readString(local.resolve("adapter.json"))).isEqualTo("{\"method\": \"moore\"}");
        assertThat(Files.readAllBytes(local.resolve("weights").resolve("w.bin"))).containsExactly(1, 2, 3, 4);
    }

    @Test
    void aMissingAdapterIsNamed() {
        String local = dir.resolve("nothing").toString();
        assertThatThrownBy(() -> ExecutorModels.local(local)).isInstanceOf(MooreException.class).hasMessageContaining(local)
                .hasMessageContaining("no adapter directory");
        String remote = OtherSchemeFileSystem.SCHEME + "://" + local;
        assertThatThrownBy(() -> ExecutorModels.local(remote)).isInstanceOf(MooreException.class).hasMessageContaining(remote)
                .hasMessageContaining("cannot copy");
    }
}
