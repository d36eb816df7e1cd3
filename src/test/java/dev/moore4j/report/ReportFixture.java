package dev.moore4j.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A small results database with everything a report draws: four methods (heads, LoRA, MoORE, MixLoRA) × two
 * seeds of main runs with predictions, curves, oblivion and machine records; a sweep of LoRA and MoORE over two
 * rates; MoORE's and MixLoRA's routing analyses. Numbers are synthetic but shaped like the real ones.
 */
final class ReportFixture {
    static final String SUITE = "fixture";
    static final List<String> METHODS = List.of("heads", "lora", "moore", "mixlora");
    static final List<String> TASKS = List.of("sst2", "rte");
    static final int LAYERS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportFixture() {}

    /** Writes the run directories under {@code dir/runs} and records them in {@code dir/results.sqlite}. */
    static Path build(Path dir) throws IOException {
        return build(dir, METHODS, "accuracy");
    }

    /**
     * The same for other methods, with every task's spec naming {@code metric} as its headline (the evaluation records
     * accuracy, and an MCC of 2·accuracy − 1.1 that differs from it, as binary tasks do).
     */
    static Path build(Path dir, List<String> methods, String metric) throws IOException {
        Path dbFile = dir.resolve("results.sqlite");
        try (ResultsDb db = ResultsDb.open(dbFile)) {
            for (int m = 0; m < methods.size(); m++) {
                for (int seed = 1; seed <= 2; seed++) {
                    String method = methods.get(m);
                    Path run = dir.resolve("runs").resolve("main-" + method + "-s" + seed);
                    ObjectNode summary = run(run, method, seed, 1e-4, 0.6 + Math.min(0.05, 0.3 / methods.size()) * m, seed * 31 + m, metric);
                    if (method.equals("moore") || method.equals("mixlora")) {
                        Files.createDirectories(run.resolve("best"));
                        Files.writeString(run.resolve("best").resolve("analysis.json"), analysis(method).toString());
                    }
                    db.record(new RunId(SUITE, RunId.MAIN, method, seed, 1e-4), run, summary);
                }
            }
            for (String method : List.of("lora", "moore")) {
                for (double lr : new double[] {1e-4, 1e-3}) {
                    Path run = dir.resolve("runs").resolve("sweep-" + method + "-" + lr);
                    db.record(new RunId(SUITE, RunId.SWEEP, method, 1, lr), run, run(run, method, 1, lr, lr > 5e-4 ? 0.55 : 0.65, 7, metric));
                }
            }
        }
        return dbFile;
    }

    /** The MCC the fixture records beside an accuracy: distinct from it, so a table shows which one it read. */
    static double mcc(double accuracy) {
        return 2 * accuracy - 1.1;
    }

    private static ObjectNode run(Path dir, String method, int seed, double lr, double accuracy, long rngSeed, String metric) throws IOException {
        Files.createDirectories(dir);
        Random rnd = new Random(rngSeed);
        ObjectNode preds = JSON.createObjectNode();
        ObjectNode eval = JSON.createObjectNode();
        ObjectNode tasks = eval.putObject("tasks");
        ObjectNode headline = eval.putObject("headline");
        double sum = 0;
        for (String t : TASKS) {
            ArrayNode gold = JSON.createArrayNode();
            ArrayNode pred = JSON.createArrayNode();
            int right = 0;
            for (int i = 0; i < 60; i++) {
                int g = i % 2;
                int p = rnd.nextDouble() < accuracy ? g : 1 - g;
                right += p == g ? 1 : 0;
                gold.add(g);
                pred.add(p);
            }
            ObjectNode tp = preds.putObject(t);
            tp.put("metric", metric);
            tp.set("gold", gold);
            tp.set("pred", pred);
            tasks.putObject(t).put("accuracy", right / 60.0).put("mcc", mcc(right / 60.0)).put("n", 60);
            headline.put(t, metric);
            sum += metric.equals("mcc") ? mcc(right / 60.0) : right / 60.0;
        }
        eval.put("overall", sum / TASKS.size());
        eval.set("warnings", JSON.createArrayNode());
        Files.writeString(dir.resolve("predictions.json"), preds.toString());
        ObjectNode s = JSON.createObjectNode();
        s.put("method", method);
        s.put("model", "minilm");
        ObjectNode cfg = s.putObject("config");
        cfg.put("model", "minilm").put("seed", seed).put("lr", lr).put("maxTrainExamples", 100).put("maxSteps", 20).put("batchSize", 8)
                .put("maxLength", 64).put("schedule", "constant").put("warmup", 0.1).put("clipNorm", 1.0).put("weightDecay", 0.01)
                .put("maxEvalExamples", 60);
        s.set("eval", eval);
        s.putObject("oblivion").put("stsb_before", 0.80).put("stsb_after", method.equals("heads") ? 0.80 : 0.78 + 0.01 * seed);
        s.put("adapter_trainable_parameters", method.equals("heads") ? 0 : method.equals("lora") ? 10_000 : 40_000);
        s.put("train_examples_per_second", method.equals("heads") ? 60 : 20 + seed);
        s.put("inference_ms_per_example", 5 + seed);
        s.put("peak_rss_mb", 500 + 100 * seed);
        s.put("commit", "abc1234");
        s.set("warnings", JSON.createArrayNode());
        ObjectNode curves = s.putObject("curves");
        ArrayNode step = curves.putArray("step");
        ArrayNode loss = curves.putArray("loss");
        for (int i = 1; i <= 20; i++) {
            step.add(i);
            loss.add(0.7 - 0.01 * i + 0.02 * rnd.nextDouble());
        }
        s.putObject("roofline").put("matmul_gflops", 150.0).put("cores", 2).put("threads", 2).put("cpu", "Test CPU");
        Files.writeString(dir.resolve("summary.json"), s.toPrettyString());
        return s;
    }

    /** A routing analysis as {@code moore analyze} writes it: MoORE's adjusted spectra, or a mixture's expert load. */
    private static ObjectNode analysis(String method) {
        boolean moore = method.equals("moore");
        ObjectNode a = JSON.createObjectNode();
        a.put("method", method);
        ArrayNode layers = a.putArray("layers");
        List<String> labels = List.of("sst2", "rte", "task-free");
        for (int l = 0; l < LAYERS; l++) {
            ObjectNode layer = layers.addObject();
            layer.put("name", "encoder.layer." + l + ".attention.self.query");
            layer.put("experts", moore ? 12 : 4);
            layer.put("bin_size", moore ? 3 : 1);
            ObjectNode tasks = layer.putObject("tasks");
            for (int k = 0; k < labels.size(); k++) {
                ObjectNode t = tasks.putObject(labels.get(k));
                if (moore) {
                    t.put("w_over_s_mean", 1.0 + 0.01 * k).put("w_over_s_std", 0.1).put("off_share", 0.01 * l).put("entropy", 0.9);
                    t.set("adjustment_bins", JSON.valueToTree(new double[] {0.01 * k, -0.02, 0.03 * l, 0.5}));
                } else {
                    t.set("expert_load", JSON.valueToTree(new double[] {0.4, 0.3, 0.2 + 0.05 * k, 0.1 - 0.05 * k}));
                    t.put("entropy", 0.9 - 0.1 * k).put("max_share", 0.4);
                }
            }
        }
        ObjectNode sim = a.putObject("task_similarity");
        sim.set("tasks", JSON.valueToTree(List.of("sst2", "rte")));
        sim.set("matrix", JSON.valueToTree(new double[][] {{1, 0.5}, {0.5, 1}}));
        return a;
    }
}
