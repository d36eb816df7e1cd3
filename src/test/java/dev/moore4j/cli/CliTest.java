package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.TestSupport;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's JSON contracts and its one-line errors. */
class CliTest {
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Run run(String... args) {
        TestSupport.CliRun r = TestSupport.cli(args);
        return new Run(r.code(), r.out(), r.err());
    }

    @Test
    void embedJson() throws Exception {
        Run r = run("embed", "minilm", "hello world", "A longer sentence about cats.", "--json", "--threads", TestSupport.THREADS);
        assertThat(r.code()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("dim").asInt()).isEqualTo(384);
        assertThat(j.get("embeddings")).hasSize(2);
        double norm = 0;
        for (JsonNode v : j.get("embeddings").get(0)) {
            norm += v.asDouble() * v.asDouble();
        }
        assertThat(norm).isCloseTo(1.0, Offset.offset(1e-4));
        // the well-known all-MiniLM-L6-v2 embedding of "hello world" starts -0.0345, 0.0310, 0.0067
        assertThat(j.get("embeddings").get(0).get(0).asDouble()).isCloseTo(-0.0345, Offset.offset(1e-3));
    }

    @Test
    void embedReadsTextsFromAFile(@TempDir Path dir) throws Exception {
        Path lines = dir.resolve("texts.txt");
        Files.writeString(lines, "hello world\n\nA longer sentence about cats.\n");
        Path jsonl = dir.resolve("texts.jsonl");
        Files.writeString(jsonl, "{\"id\": 1, \"text\": \"hello world\"}\n{\"text\": \"A longer sentence about cats.\"}\n");
        JsonNode args = run("embed", "minilm", "hello world", "A longer sentence about cats.", "--json", "--threads", TestSupport.THREADS).json();
        for (Path f : List.of(lines, jsonl)) {
            Run r = run("embed", "minilm", "--input", f.toString(), "--json", "--threads", TestSupport.THREADS);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.json().get("embeddings")).isEqualTo(args.get("embeddings"));
        }
        Files.writeString(jsonl, "{\"text\": \"fine\"}\n{\"label\": 1}\n");
        Run bad = run("embed", "minilm", "--input", jsonl.toString(), "--threads", TestSupport.THREADS);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("texts.jsonl:2").contains("\"text\"");
    }

    @Test
    void moeizeVerifyJson(@TempDir Path cache) throws Exception {
        Run r = run("moeize", "stories260K", "--verify", "--json", "--no-cache", "--tasks", "3");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("max_rel_diff").asDouble()).isLessThanOrEqualTo(1e-4);
        assertThat(j.get("layers")).hasSize(35);
        assertThat(j.get("layers").get(0).get("max_rel_diff").asDouble()).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void generateJsonGreedy() throws Exception {
        Run r = run("generate", "stories260K", "--prompt", "Zoo", "--temperature", "0", "--max-tokens", "20", "--json");
        assertThat(r.code()).isZero();
        assertThat(r.json().get("text").asText()).startsWith("Zoo was a little girl named Lily.");
    }

    @Test
    void userErrorsAreOneLineWithExitCode2() {
        Run missing = run("inspect", "/no/such/model");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).startsWith("error: /no/such/model").doesNotContain("\n").doesNotContain("Exception");

        Run odd = run("moeize", "stories260K", "--householder", "3");
        assertThat(odd.code()).isEqualTo(2);
        assertThat(odd.err().lines().filter(l -> l.startsWith("error:")).findFirst().orElse("")).contains("householder");
        assertThat(odd.err()).doesNotContain("\tat ");

        Run wrongFamily = run("generate", "minilm", "--prompt", "hi");
        assertThat(wrongFamily.code()).isEqualTo(2);
        assertThat(wrongFamily.err()).contains("needs a decoder");
    }
}
