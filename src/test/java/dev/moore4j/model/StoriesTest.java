package dev.moore4j.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.TestSupport;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.model.llama.KvCache;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.model.load.HfCheckpoint;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** stories260K: the known greedy TinyStories continuation, and the HF round trip through our safetensors writer. */
class StoriesTest {

    @Test
    void greedyFromZooGivesTheKnownStory() {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
            String text = ((DecoderModel) loaded.model()).generate(loaded.tokenizer(), "Zoo",
                    new DecoderModel.Sampling(40, 0f, 0.9f, 0), ForwardContext.inference(), null);
            assertThat(text).startsWith("Zoo was a little girl named Lily. She loved to play outside in the park.");
        }
    }

    @Test
    void hfExportLoadsBackWithIdenticalLogits(@TempDir Path dir) throws Exception {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded original = ModelLoader.load("stories260K", m)) {
            LlamaModel llama = (LlamaModel) original.model();
            HfCheckpoint.writeLlama(dir, llama.config(), llama.exportWeights());
            Files.copy(SharedPaths.models().resolve("stories260K/tok512.bin"), dir.resolve("tokenizer.bin"));
            assertThat(dir.resolve("model.safetensors")).exists();
            try (ModelLoader.Loaded hf = ModelLoader.load(dir.toString(), m)) {
                assertThat(hf.model()).isInstanceOf(LlamaModel.class);
                float[] a = Probe.outputs(original.model(), original.tokenizer(), ForwardContext.inference());
                float[] b = Probe.outputs(hf.model(), hf.tokenizer(), ForwardContext.inference());
                assertThat(b).hasSameSizeAs(a);
                assertThat(TestSupport.maxAbsDiff(a, b)).isLessThanOrEqualTo(1e-5);
                assertThat(hf.model().weightsHash()).isEqualTo(original.model().weightsHash());
            }
        }
    }

    @Test
    void kvCacheGenerationEqualsFullRecompute() {
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load("stories260K", m)) {
            LlamaModel llama = (LlamaModel) loaded.model();
            long[] ids = loaded.tokenizer().encode("Once upon a time there was a dog");
            // logits of the last token from one full pass vs. token-by-token with the cache
            float[] full;
            try (var scope = new NDScope()) {
                var logits = llama.forward(m.create(ids, new Shape(1, ids.length)), null, ForwardContext.inference());
                full = logits.get(new NDIndex(":, -1, :")).toFloatArray();
            }
            float[] cached = null;
            try (var cache = new KvCache(llama.config().numHiddenLayers())) {
                for (long id : ids) {
                    try (var scope = new NDScope()) {
                        var logits = llama.forward(m.create(new long[] {id}, new Shape(1, 1)), cache, ForwardContext.inference());
                        cached = logits.toFloatArray();
                    }
                }
            }
            assertThat(TestSupport.maxAbsDiff(cached, full)).isLessThan(1e-4);
        }
    }
}
