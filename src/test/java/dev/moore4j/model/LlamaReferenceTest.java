package dev.moore4j.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.TestSupport;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.model.llama.LlamaConfig;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.model.load.HfCheckpoint;
import dev.moore4j.model.load.ModelLoader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tiny random Qwen2-style checkpoint (q/k/v biases, grouped-query attention, untied head) written as
 * HF safetensors, loaded through the HF path, against a naive scalar reference forward written here.
 */
class LlamaReferenceTest {
    static final LlamaConfig C = new LlamaConfig(20, 16, 24, 2, 4, 2, 32, 1e-6f, 10000f, false, true, "Qwen2ForCausalLM");
    final Random rnd = new Random(3);
    final Map<String, HostTensor> w = new LinkedHashMap<>();

    HostTensor rand(String name, long... shape) {
        float[] d = new float[(int) HostTensor.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * 0.3);
        }
        HostTensor t = new HostTensor(shape, d);
        w.put(name, t);
        return t;
    }

    @Test
    void hfQwen2CheckpointMatchesNaiveReference(@TempDir Path dir) throws Exception {
        int d = C.hiddenSize();
        int kv = C.kvDim();
        rand("model.embed_tokens.weight", C.vocabSize(), d);
        for (int l = 0; l < C.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            rand(p + "input_layernorm.weight", d);
            rand(p + "self_attn.q_proj.weight", d, d);
            rand(p + "self_attn.q_proj.bias", d);
            rand(p + "self_attn.k_proj.weight", kv, d);
            rand(p + "self_attn.k_proj.bias", kv);
            rand(p + "self_attn.v_proj.weight", kv, d);
            rand(p + "self_attn.v_proj.bias", kv);
            rand(p + "self_attn.o_proj.weight", d, d);
            rand(p + "post_attention_layernorm.weight", d);
            rand(p + "mlp.gate_proj.weight", C.intermediateSize(), d);
            rand(p + "mlp.up_proj.weight", C.intermediateSize(), d);
            rand(p + "mlp.down_proj.weight", d, C.intermediateSize());
        }
        rand("model.norm.weight", d);
        rand("lm_head.weight", C.vocabSize(), d);
        HfCheckpoint.writeLlama(dir, C, w);
        Files.copy(SharedPaths.models().resolve("stories260K/tok512.bin"), dir.resolve("tokenizer.bin"));
        assertThat(Files.readString(dir.resolve("config.json"))).contains("Qwen2ForCausalLM");

        long[] ids = {3, 7, 1, 19, 0, 12};
        float[][] ref = naive(ids);
        try (NDManager m = TestSupport.manager(); ModelLoader.Loaded loaded = ModelLoader.load(dir.toString(), m)) {
            LlamaModel model = (LlamaModel) loaded.model();
            assertThat(model.config().qkvBias()).isTrue();
            float[] ours = model.forward(m.create(ids, new Shape(1, ids.length)), null, ForwardContext.inference()).toFloatArray();
            double maxDiff = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < C.vocabSize(); v++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ours[t * C.vocabSize() + v] - ref[t][v]));
                }
            }
            assertThat(maxDiff).isLessThan(1e-4);
        }
    }

    /** Scalar Llama/Qwen2 forward: RMSNorm, rotate-half RoPE, causal GQA, SwiGLU, untied head. */
    private float[][] naive(long[] ids) {
        int n = ids.length;
        int d = C.hiddenSize();
        int h = C.numAttentionHeads();
        int hkv = C.numKeyValueHeads();
        int dh = C.headDim();
        double[][] x = new double[n][d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i++) {
                x[t][i] = w.get("model.embed_tokens.weight").data()[(int) ids[t] * d + i];
            }
        }
        for (int l = 0; l < C.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] nx = rms(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = rope(affine(p + "self_attn.q_proj", nx), t, h, dh);
                k[t] = rope(affine(p + "self_attn.k_proj", nx), t, hkv, dh);
                v[t] = affine(p + "self_attn.v_proj", nx);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[d];
                for (int head = 0; head < h; head++) {
                    int g = head / (h / hkv);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= t; j++) {
                        for (int i = 0; i < dh; i++) {
                            s[j] += q[t][head * dh + i] * k[j][g * dh + i];
                        }
                        s[j] /= Math.sqrt(dh);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j <= t; j++) {
                        for (int i = 0; i < dh; i++) {
                            att[head * dh + i] += s[j] / z * v[j][g * dh + i];
                        }
                    }
                }
                double[] o = affine(p + "self_attn.o_proj", att);
                for (int i = 0; i < d; i++) {
                    x[t][i] += o[i];
                }
                double[] mx = rms(x[t], w.get(p + "post_attention_layernorm.weight"));
                double[] gate = affine(p + "mlp.gate_proj", mx);
                double[] up = affine(p + "mlp.up_proj", mx);
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = affine(p + "mlp.down_proj", gate);
                for (int i = 0; i < d; i++) {
                    x[t][i] += down[i];
                }
            }
        }
        float[][] out = new float[n][];
        for (int t = 0; t < n; t++) {
            double[] logits = affine("lm_head", rms(x[t], w.get("model.norm.weight")));
            out[t] = new float[logits.length];
            for (int i = 0; i < logits.length; i++) {
                out[t][i] = (float) logits[i];
            }
        }
        return out;
    }

    private double[] affine(String name, double[] in) {
        HostTensor wt = w.get(name + ".weight");
        HostTensor b = w.get(name + ".bias");
        int rows = (int) wt.dim(0);
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = b == null ? 0 : b.data()[r];
            for (int c = 0; c < in.length; c++) {
                s += wt.data()[r * in.length + c] * in[c];
            }
            out[r] = s;
        }
        return out;
    }

    private double[] rms(double[] x, HostTensor g) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        double inv = 1 / Math.sqrt(ms / x.length + C.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * g.data()[i];
        }
        return out;
    }

    private double[] rope(double[] x, int pos, int heads, int dh) {
        double[] out = x.clone();
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < dh / 2; i++) {
                double angle = pos * Math.pow(C.ropeTheta(), -2.0 * i / dh);
                double a = x[head * dh + i];
                double b = x[head * dh + i + dh / 2];
                out[head * dh + i] = a * Math.cos(angle) - b * Math.sin(angle);
                out[head * dh + i + dh / 2] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return out;
    }
}
