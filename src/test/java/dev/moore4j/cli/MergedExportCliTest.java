package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.TestSupport;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Probe;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A trained LoRA (and HRA) decoder adapter exported merged into plain Hugging Face weights computes what the
 * adapter computes; a mixture (MoORE) is refused with a clear error. The adapters come from a few training
 * steps at a high rate, so the merged weights really differ from the base.
 */
class MergedExportCliTest {
    @Test
    void mergedExportEqualsTheAdaptedModel(@TempDir Path dir) throws Exception {
        for (String method : new String[] {"lora", "hra"}) {
            Path out = dir.resolve(method);
            CliTest.Run train = run("train", "--model", "stories260K", "--tasks", DecoderPipelineCliTest.TASKS, "--method", method, "--batch-size", "8",
                    "--max-steps", "3", "--lr", "2e-2", "--max-eval", "8", "--seed", "3", "--no-oblivion", "--out", out.toString(), "--threads", TestSupport.THREADS, "--json");
            assertThat(train.code()).as(train.err()).isZero();
            Path hf = dir.resolve(method + "-hf");
            CliTest.Run export = run("export", "--adapter", out.resolve("last").toString(), "--out", hf.toString(), "--threads", TestSupport.THREADS);
            assertThat(export.code()).as(export.err()).isZero();
            try (NDManager m = TestSupport.manager(); Checkpoint.Opened adapted = Checkpoint.open(out.resolve("last"), null, m);
                 ModelLoader.Loaded merged = ModelLoader.load(hf.toString(), m); ModelLoader.Loaded base = ModelLoader.load("stories260K", m)) {
                float[] a = Probe.outputs(adapted.loaded().model(), adapted.loaded().tokenizer(), ForwardContext.inference());
                float[] b = Probe.outputs(merged.model(), merged.tokenizer(), ForwardContext.inference());
                float[] c = Probe.outputs(base.model(), base.tokenizer(), ForwardContext.inference());
                assertThat(Probe.maxRelDiff(b, a)).as(method).isLessThanOrEqualTo(1e-5);
                assertThat(Probe.maxRelDiff(c, a)).as(method + " moved away from the base").isGreaterThan(1e-3);
            }
        }
        CliTest.Run moore = run("moeize", "stories260K", "--tasks", DecoderPipelineCliTest.TASKS, "--save", dir.resolve("moore").toString(), "--threads", TestSupport.THREADS);
        assertThat(moore.code()).as(moore.err()).isZero();
        CliTest.Run refused = run("export", "--adapter", dir.resolve("moore").toString(), "--out", dir.resolve("moore-hf").toString(), "--threads", TestSupport.THREADS);
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("has no single dense weight");
    }
}
