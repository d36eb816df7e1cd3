package dev.moore4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.TestSupport;
import dev.moore4j.config.TrainConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Everything a run needs is checked before its first step, and numbers outside their domain are refused
 * with one line naming the flag and status 2.
 */
class FailFastTest {
    record Out(int code, String out, String err) {}

    static Out cli(String... args) {
        TestSupport.CliRun r = TestSupport.cli(args);
        return new Out(r.code(), r.out(), r.err());
    }

    static Path shared() {
        String env = System.getenv("MOORE4J_SHARED");
        return env != null ? Path.of(env) : Path.of("..", "shared");
    }

    @Test
    void aDataRootWithoutStsbFailsBeforeTheFirstStep(@TempDir Path dir) throws Exception {
        // a data root holding SST-2 only: the oblivion figure's STS-B is missing
        Path root = dir.resolve("data");
        Files.createDirectories(root.resolve("glue"));
        Files.createSymbolicLink(root.resolve("glue").resolve("sst2"), shared().resolve("data/glue/sst2").toAbsolutePath());
        Path out = dir.resolve("run");
        Out r = cli("train", "--model", "minilm", "--method", "lora", "--tasks", "sst2", "--data", root.toString(), "--max-train", "16",
                "--max-eval", "8", "--max-steps", "2", "--batch-size", "8", "--threads", TestSupport.THREADS, "--out", out.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("stsb").contains("not found");
        assertThat(r.err().lines().filter(l -> l.startsWith("error:")).count()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("train 100%").doesNotContain("step 1");
        assertThat(out.resolve("last")).doesNotExist(); // no step was taken, nothing saved
        // without the figure, the same run goes on
        Out ok = cli("train", "--model", "minilm", "--method", "lora", "--tasks", "sst2", "--data", root.toString(), "--max-train", "16",
                "--max-eval", "8", "--max-steps", "1", "--batch-size", "8", "--threads", TestSupport.THREADS, "--no-oblivion", "--out", dir.resolve("run2").toString());
        assertThat(ok.code()).as(ok.err()).isZero();
    }

    @Test
    void theCachedBeforeFigureIsKeyedByItsData(@TempDir Path dir) throws Exception {
        // three real held-out files: two with the same lines under different names, one with a line changed
        Path a = Files.writeString(dir.resolve("a.txt"), "once upon a time\nthere was a cat\n");
        Path same = Files.writeString(dir.resolve("same.txt"), "once upon a time\n\nthere was a cat\n"); // blank lines are skipped
        Path other = Files.writeString(dir.resolve("other.txt"), "once upon a time\nthere was a dog\n");
        String keyA = heldOut(a).key();
        assertThat(heldOut(same).key()).as("the same lines: the same cached figure, whatever the file's name").isEqualTo(keyA);
        assertThat(heldOut(other).key()).as("one word changed: another figure").isNotEqualTo(keyA);
        assertThat(heldOut(a).lines()).containsExactly("once upon a time", "there was a cat");
    }

    private static Run.OblivionData heldOut(Path file) {
        ObjectNode n = new ObjectMapper().createObjectNode().put("heldOutText", file.toString());
        return Run.OblivionData.read(dev.moore4j.mtl.TaskModel.OblivionProbe.HELD_OUT_PERPLEXITY, TrainConfig.fromJson(n, "test"));
    }

    @Test
    void anUnwritableOutputFailsBeforeLoading(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("plain-file");
        Files.writeString(file, "x");
        Out r = cli("train", "--model", "minilm", "--tasks", "sst2", "--max-steps", "1", "--out", file.resolve("run").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("output directory is not writable");
    }

    @Test
    void numbersOutsideTheirDomainAreRefusedNamingTheFlag() {
        String[][] cases = {
                {"--lr", "-1"}, {"--lr", "0"}, {"--batch-size", "0"}, {"--max-steps", "-3"}, {"--max-train", "-1"}, {"--warmup", "1.5"},
                {"--weight-decay", "-0.1"}, {"--eval-batch-size", "0"}, {"--max-length", "4"}, {"--head-lr", "-1"}, {"--clip-norm", "-1"},
        };
        for (String[] c : cases) {
            Out r = cli("train", "--tasks", "sst2", c[0], c[1], "--out", "/tmp/never-written");
            assertThat(r.code()).as(String.join(" ", c) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(String.join(" ", c)).startsWith("error: " + c[0]).doesNotContain("\n").contains(c[1]);
        }
        String[][] others = {
                {"generate", "stories260K", "--prompt", "x", "--max-tokens", "-5"}, {"generate", "stories260K", "--prompt", "x", "--temperature", "-1"},
                {"generate", "stories260K", "--prompt", "x", "--top-p", "0"}, {"embed", "minilm", "hi", "--threads", "0"},
                {"serve", "--model", "minilm", "--timeout-ms", "0"}, {"serve-bench", "--model", "minilm", "--clients", "0"},
        };
        for (String[] c : others) {
            Out r = cli(c);
            assertThat(r.code()).as(String.join(" ", c) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(String.join(" ", c)).startsWith("error: " + c[c.length - 2]).doesNotContain("\n");
        }
    }
}
