package dev.moore4j.model;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import dev.moore4j.TestSupport;
import dev.moore4j.io.MavenJars;
import dev.moore4j.model.bert.BertBatch;
import dev.moore4j.model.bert.BertModel;
import dev.moore4j.model.bert.Embedder;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** Our BERT encoder against ONNX Runtime running the same .onnx file: sentence embeddings agree to 1e-4. */
class OnnxOracleTest {

    @ParameterizedTest
    @ValueSource(strings = {"minilm", "bge-small"})
    void sentenceEmbeddingsMatchOnnxRuntime(String alias) throws Exception {
        ModelLoader.JarAlias a = ModelLoader.JAR_ALIASES.stream().filter(j -> j.alias().equals(alias)).findFirst().orElseThrow();
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(alias, m)) {
            BertModel bert = (BertModel) loaded.model();
            float[][] ours = Embedder.embed(bert, loaded.tokenizer(), Probe.SENTENCES, ForwardContext.inference());

            BertBatch batch = BertBatch.of(loaded.tokenizer(), Probe.SENTENCES, null);
            assertThat(batch.length()).as("batch is padded to very different lengths").isGreaterThan(20);
            float[][][] hidden = runOnnx(a, batch);
            float[][] reference = meanPoolNormalize(hidden, batch.mask());

            double maxDiff = 0;
            for (int i = 0; i < ours.length; i++) {
                for (int j = 0; j < ours[i].length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ours[i][j] - reference[i][j]));
                }
            }
            System.err.printf("%s: max |ours - onnxruntime| = %.2e over %d sentences padded to %d tokens%n", alias, maxDiff, ours.length, batch.length());
            assertThat(ours).hasNumberOfRows(8);
            assertThat(maxDiff).as("max |ours - onnxruntime| for " + alias).isLessThanOrEqualTo(1e-4);
        }
    }

    private static float[][][] runOnnx(ModelLoader.JarAlias a, BertBatch batch) throws Exception {
        byte[] onnx;
        try (ZipFile zip = new ZipFile(MavenJars.resolve(a.groupId(), a.artifactId(), a.version()).toFile());
             InputStream in = zip.getInputStream(zip.getEntry(a.onnxEntry()))) {
            onnx = in.readAllBytes();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, batch.ids());
             OnnxTensor mask = OnnxTensor.createTensor(env, batch.mask());
             OnnxTensor types = OnnxTensor.createTensor(env, batch.types());
             OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            return (float[][][]) r.get(0).getValue();
        }
    }

    /** Independent pooling in plain Java: mean over real tokens, then L2 normalisation. */
    private static float[][] meanPoolNormalize(float[][][] h, long[][] mask) {
        float[][] out = new float[h.length][h[0][0].length];
        for (int b = 0; b < h.length; b++) {
            double[] sum = new double[h[b][0].length];
            int n = 0;
            for (int t = 0; t < h[b].length; t++) {
                if (mask[b][t] == 1) {
                    n++;
                    for (int d = 0; d < sum.length; d++) {
                        sum[d] += h[b][t][d];
                    }
                }
            }
            double norm = 0;
            for (int d = 0; d < sum.length; d++) {
                sum[d] /= n;
                norm += sum[d] * sum[d];
            }
            norm = Math.sqrt(norm);
            for (int d = 0; d < sum.length; d++) {
                out[b][d] = (float) (sum[d] / norm);
            }
        }
        return out;
    }
}
