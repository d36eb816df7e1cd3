package dev.moore4j.model;

import ai.djl.ndarray.NDManager;

import dev.moore4j.TestSupport;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.MavenJars;
import dev.moore4j.io.OnnxWeights;
import dev.moore4j.io.Safetensors;
import dev.moore4j.io.WeightSource;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.bert.Embedder;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** MiniLM written as a Hugging Face BertModel directory ("bert."-prefixed safetensors) loads and embeds identically. */
class BertHfCheckpointTest {

    @Test
    void hfBertDirectoryEmbedsLikeTheOnnxAlias(@TempDir Path dir) throws Exception {
        ModelLoader.JarAlias a = ModelLoader.JAR_ALIASES.get(0);
        try (ZipFile zip = new ZipFile(MavenJars.resolve(a.groupId(), a.artifactId(), a.version()).toFile())) {
            byte[] onnx;
            try (InputStream in = zip.getInputStream(zip.getEntry(a.onnxEntry()))) {
                onnx = in.readAllBytes();
            }
            try (InputStream in = zip.getInputStream(zip.getEntry(a.tokenizerEntry()))) {
                Files.write(dir.resolve("tokenizer.json"), in.readAllBytes());
            }
            WeightSource weights = OnnxWeights.bertWeights(OnnxWeights.parse(onnx, "minilm"), "minilm");
            Map<String, HostTensor> prefixed = new LinkedHashMap<>();
            weights.names().forEach(k -> prefixed.put("bert." + k, weights.raw(k)));
            prefixed.put("bert.pooler.dense.weight", new HostTensor(new long[] {384, 384}, new float[384 * 384]));
            Safetensors.write(dir.resolve("model.safetensors"), prefixed, Map.of("format", "pt"));
        }
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": 30522, "hidden_size": 384,
                 "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
                 "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12}
                """);
        try (NDManager m = TestSupport.manager();
             ModelLoader.Loaded alias = ModelLoader.load("minilm", m);
             ModelLoader.Loaded hf = ModelLoader.load(dir.toString(), m)) {
            assertThat(hf.model()).isInstanceOf(BertModel.class);
            float[][] ea = Embedder.embed((BertModel) alias.model(), alias.tokenizer(), Probe.SENTENCES, ForwardContext.inference());
            float[][] eb = Embedder.embed((BertModel) hf.model(), hf.tokenizer(), Probe.SENTENCES, ForwardContext.inference());
            for (int i = 0; i < ea.length; i++) {
                assertThat(TestSupport.maxAbsDiff(eb[i], ea[i])).isLessThan(1e-6);
            }
            assertThat(hf.model().weightsHash()).isEqualTo(alias.model().weightsHash());
        }
    }
}
