package dev.moore4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz targets, one per reader (see {@link Targets} for the contract). Under {@code mvn test} each
 * runs as a regression test over its corpus, {@code src/test/resources/dev/moore4j/fuzz/ReaderFuzzTestInputs/NAME/}
 * (seeds from real formats plus every input a fuzzing run ever found). To fuzz one for real,
 * coverage-guided: {@code scripts/fuzz.sh NAME} (Jazzer fuzzes one target per JVM, up to {@link #MAX} each run; the corpus it grows in
 * .cifuzz-corpus/ carries over, so a rerun goes on from there).
 */
class ReaderFuzzTest {
    private static final String MAX = "60s";

    @FuzzTest(maxDuration = MAX)
    void safetensors(byte[] in) {
        Targets.check("safetensors", in, Targets::safetensors);
    }

    @FuzzTest(maxDuration = MAX)
    void onnx(byte[] in) {
        Targets.check("onnx", in, Targets::onnx);
    }

    @FuzzTest(maxDuration = MAX)
    void llama2c(byte[] in) {
        Targets.check("llama2c", in, Targets::llama2c);
    }

    @FuzzTest(maxDuration = MAX)
    void llama2cTokenizer(byte[] in) {
        Targets.check("llama2cTokenizer", in, Targets::llama2cTokenizer);
    }

    @FuzzTest(maxDuration = MAX)
    void hfConfig(byte[] in) {
        Targets.check("hfConfig", in, Targets::hfConfig);
    }

    @FuzzTest(maxDuration = MAX)
    void hfTokenizer(byte[] in) {
        Targets.check("hfTokenizer", in, Targets::hfTokenizer);
    }

    @FuzzTest(maxDuration = MAX)
    void glueTsv(byte[] in) {
        Targets.check("glueTsv", in, Targets::glueTsv);
    }

    @FuzzTest(maxDuration = MAX)
    void llmAdaptersJson(byte[] in) {
        Targets.check("llmAdaptersJson", in, Targets::llmAdaptersJson);
    }

    @FuzzTest(maxDuration = MAX)
    void jsonl(byte[] in) {
        Targets.check("jsonl", in, Targets::jsonl);
    }

    @FuzzTest(maxDuration = MAX)
    void taskSpecYaml(byte[] in) {
        Targets.check("taskSpecYaml", in, Targets::taskSpecYaml);
    }

    @FuzzTest(maxDuration = MAX)
    void trainConfig(byte[] in) {
        Targets.check("trainConfig", in, Targets::trainConfig);
    }

    @FuzzTest(maxDuration = MAX)
    void suiteYaml(byte[] in) {
        Targets.check("suiteYaml", in, Targets::suiteYaml);
    }

    @FuzzTest(maxDuration = MAX)
    void adapterConfig(byte[] in) {
        Targets.check("adapterConfig", in, Targets::adapterConfig);
    }

    @FuzzTest(maxDuration = MAX)
    void adapterWeights(byte[] in) {
        Targets.check("adapterWeights", in, Targets::adapterWeights);
    }
}
