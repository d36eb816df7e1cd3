package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.model.EncoderModel;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.MklKernels;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code moore bench embed}: sentence embeddings of one batch, in this process, after a warm-up. The
 * sentences are numbered copies of one line, so that a peer (scripts/bench_embed_ort.sh, ONNX Runtime
 * Java) embeds exactly the same batch.
 */
@Command(name = "embed", description = {
        "Time in-process sentence embedding of one batch (steady state) and report the resident memory.",
        "The batch is --batch copies of \"Sentence number I is about the quick brown fox jumping over the lazy dog.\"",
        "(I = 0, 1, ...). Reports (--json field names): model, batch, tokens (padded length), iterations, threads,",
        "mkl_code_path (as in bench train);",
        "sentences_per_second and batch_ms_median over the iterations after --warmup; load_seconds (model and tokenizer);",
        "peak_rss_mb (the whole process's peak, VmHWM) and rss_mb (resident memory after the last batch)."})
final class BenchEmbedCommand implements Runnable {
    static final String SENTENCE = "Sentence number %d is about the quick brown fox jumping over the lazy dog.";

    @Mixin
    Common common;

    @Option(names = "--model", description = "Encoder model. Default: ${DEFAULT-VALUE}.")
    String model = "minilm";

    @Option(names = "--batch", description = "Sentences per batch. Default: ${DEFAULT-VALUE}.")
    int batch = 64;

    @Option(names = "--iters", description = "Timed batches after the warm-up. Default: ${DEFAULT-VALUE}.")
    int iters = 20;

    @Option(names = "--warmup", description = "Batches before timing starts. Default: ${DEFAULT-VALUE}.")
    int warmup = 3;

    @Override
    public void run() {
        Common.range("--batch", batch, 1, 1 << 16);
        Common.range("--iters", iters, 1, 1_000_000);
        Common.range("--warmup", warmup, 0, 1_000_000);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            texts.add(String.format(SENTENCE, i));
        }
        long t0 = System.nanoTime();
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m)) {
            if (!(loaded.model() instanceof EncoderModel encoder)) {
                throw new MooreException("bench embed: " + model + " is not an encoder (use minilm, bge-small, e5-small or an HF BERT directory)");
            }
            double load = (System.nanoTime() - t0) / 1e9;
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < warmup + iters; i++) {
                long s = System.nanoTime();
                encoder.embed(loaded.tokenizer(), texts, ForwardContext.inference());
                if (i >= warmup) {
                    times.add((System.nanoTime() - s) / 1e9);
                }
            }
            double median = BenchTrainCommand.median(times);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", loaded.reference());
            out.put("batch", batch);
            out.put("tokens", loaded.tokenizer().encode(texts.get(batch - 1)).length);
            out.put("iterations", iters);
            out.put("threads", common.threads());
            out.put("mkl_code_path", MklKernels.codePath().orElse(null));
            out.put("sentences_per_second", batch / median);
            out.put("batch_ms_median", median * 1e3);
            out.put("load_seconds", load);
            out.put("peak_rss_mb", MemoryStats.peakRssBytes() / 1e6);
            out.put("rss_mb", MemoryStats.rssBytes() / 1e6);
            if (common.json) {
                common.printJson(out);
                return;
            }
            System.out.printf("embed on %s: %d sentences of %d tokens, %d threads%n", loaded.reference(), batch, out.get("tokens"), common.threads());
            System.out.printf("  %.1f sentences/s, %.1f ms per batch (median of %d), model loaded in %.2f s%n", batch / median, median * 1e3, iters, load);
            System.out.printf("  peak RSS %.0f MB, RSS now %.0f MB%n", MemoryStats.peakRssBytes() / 1e6, MemoryStats.rssBytes() / 1e6);
        }
    }
}
