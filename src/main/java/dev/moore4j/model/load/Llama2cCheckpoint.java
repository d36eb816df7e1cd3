package dev.moore4j.model.load;

import dev.moore4j.MooreException;
import dev.moore4j.io.HostTensor;
import dev.moore4j.model.llama.LlamaConfig;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * llama2.c checkpoints (legacy version-0 layout): 7 int32 header fields, then float32 arrays in the order
 * token embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, two legacy RoPE tables,
 * and the classifier when not shared (negative vocab size in the header).
 *
 * <p>Tensors come out under Hugging Face Llama names. llama2.c rotates interleaved pairs (x₀,x₁),(x₂,x₃)…
 * while our model (like HF) rotates halves, so the rows of wq and wk are permuted per head exactly as
 * HF's conversion script does; the attention scores are unchanged.
 */
public final class Llama2cCheckpoint {
    private Llama2cCheckpoint() {}

    public record Loaded(LlamaConfig config, Map<String, HostTensor> weights) {}

    public static Loaded read(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new MooreException(path + ": cannot read llama2.c checkpoint: " + e.getMessage(), e);
        }
        if (all.length < 28) {
            throw new MooreException(path + ": truncated llama2.c checkpoint (no 28-byte header)");
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int dim = b.getInt();
        int hidden = b.getInt();
        int layers = b.getInt();
        int heads = b.getInt();
        int kvHeads = b.getInt();
        int vocabRaw = b.getInt();
        int seqLen = b.getInt();
        boolean shared = vocabRaw > 0;
        int vocab = Math.abs(vocabRaw);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || seqLen <= 0 || dim > 1 << 16 || vocab > 1 << 22
                || hidden > 1 << 18 || layers > 1 << 10 || seqLen > 1 << 20 || vocab == 0 || dim % heads != 0 || heads % kvHeads != 0
                || (dim / heads) % 2 != 0) {
            throw new MooreException(path + ": implausible llama2.c header dim=" + dim + " hidden_dim=" + hidden + " n_layers=" + layers
                    + " n_heads=" + heads + " n_kv_heads=" + kvHeads + " vocab_size=" + vocabRaw + " seq_len=" + seqLen);
        }
        int dh = dim / heads;
        int kv = kvHeads * dh;
        long expected = (long) vocab * dim + (long) layers * (2L * dim + (long) dim * dim * 2 + 2L * kv * dim + 3L * dim * hidden)
                + dim + (long) seqLen * dh + (shared ? 0 : (long) vocab * dim);
        long have = (all.length - 28) / 4;
        if (have < expected) {
            throw new MooreException(path + ": truncated llama2.c checkpoint: " + have + " floats, header implies " + expected);
        }
        try {
            return read(b, path, dim, hidden, layers, heads, kvHeads, vocab, seqLen, shared);
        } catch (BufferUnderflowException | IllegalArgumentException | ArithmeticException e) {
            // the size check above should make this unreachable; a header it missed still ends in our error (found by fuzzing)
            throw new MooreException(path + ": llama2.c checkpoint inconsistent with its header (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static Loaded read(ByteBuffer b, Path path, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, boolean shared) {
        int dh = dim / heads;
        int kv = kvHeads * dh;
        FloatBuffer f = b.asFloatBuffer();
        Map<String, HostTensor> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", take(f, vocab, dim));
        HostTensor[] rmsAtt = takeStack(f, layers, dim);
        HostTensor[] wq = takeStack(f, layers, dim, dim);
        HostTensor[] wk = takeStack(f, layers, kv, dim);
        HostTensor[] wv = takeStack(f, layers, kv, dim);
        HostTensor[] wo = takeStack(f, layers, dim, dim);
        HostTensor[] rmsFfn = takeStack(f, layers, dim);
        HostTensor[] w1 = takeStack(f, layers, hidden, dim);
        HostTensor[] w2 = takeStack(f, layers, dim, hidden);
        HostTensor[] w3 = takeStack(f, layers, hidden, dim);
        HostTensor rmsFinal = take(f, dim);
        f.position(f.position() + seqLen * dh); // freq_cis_real and freq_cis_imag: seq_len × dh/2 each
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            w.put(p + "input_layernorm.weight", rmsAtt[i]);
            w.put(p + "self_attn.q_proj.weight", interleavedToHalves(wq[i], heads));
            w.put(p + "self_attn.k_proj.weight", interleavedToHalves(wk[i], kvHeads));
            w.put(p + "self_attn.v_proj.weight", wv[i]);
            w.put(p + "self_attn.o_proj.weight", wo[i]);
            w.put(p + "post_attention_layernorm.weight", rmsFfn[i]);
            w.put(p + "mlp.gate_proj.weight", w1[i]);
            w.put(p + "mlp.down_proj.weight", w2[i]);
            w.put(p + "mlp.up_proj.weight", w3[i]);
        }
        w.put("model.norm.weight", rmsFinal);
        if (!shared) {
            w.put("lm_head.weight", take(f, vocab, dim));
        }
        LlamaConfig config = new LlamaConfig(vocab, dim, hidden, layers, heads, kvHeads, seqLen, 1e-5f, 10000f, shared, false, "llama2.c");
        return new Loaded(config, w);
    }

    private static HostTensor take(FloatBuffer f, long... shape) {
        float[] d = new float[(int) HostTensor.numel(shape)];
        f.get(d);
        return new HostTensor(shape, d);
    }

    private static HostTensor[] takeStack(FloatBuffer f, int n, long... shape) {
        HostTensor[] out = new HostTensor[n];
        for (int i = 0; i < n; i++) {
            out[i] = take(f, shape);
        }
        return out;
    }

    /** Row 2i+j of each head (pair i, component j) moves to row j·dh/2 + i. */
    static HostTensor interleavedToHalves(HostTensor w, int heads) {
        int rows = (int) w.dim(0);
        int cols = (int) w.dim(1);
        int dh = rows / heads;
        float[] out = new float[w.data().length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < dh / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    int src = h * dh + 2 * i + j;
                    int dst = h * dh + j * (dh / 2) + i;
                    System.arraycopy(w.data(), src * cols, out, dst * cols, cols);
                }
            }
        }
        return new HostTensor(w.shape().clone(), out);
    }
}
