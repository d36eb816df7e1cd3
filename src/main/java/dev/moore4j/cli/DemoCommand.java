package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.io.ModelLoader;
import dev.moore4j.train.Run;
import dev.moore4j.train.TrainConfig;
import dev.moore4j.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code moore demo}: the README's main job. MoORE on all-MiniLM-L6-v2 over NLU-MTL (cola, sst2, mrpc,
 * rte) against the frozen encoder with trained heads only, sized to a few minutes on 2 cores.
 */
@Command(name = "demo", description = "MoORE vs heads only on NLU-MTL (cola, sst2, mrpc, rte) with all-MiniLM-L6-v2, a few minutes on 2 cores.")
public final class DemoCommand implements Runnable {
    @Mixin
    Common common;

    @Option(names = "--model", description = "Encoder. Default: ${DEFAULT-VALUE}.")
    String model = ModelLoader.DEFAULT_MODEL;

    @Option(names = "--max-train", description = "Training examples per task. Default: ${DEFAULT-VALUE}.")
    int maxTrain = 250;

    @Option(names = "--max-eval", description = "Evaluation examples per task. Default: ${DEFAULT-VALUE}.")
    int maxEval = 250;

    @Option(names = "--max-oblivion", description = "STS-B dev pairs for the oblivion figure (0 = all 1500). Default: ${DEFAULT-VALUE}.")
    int maxOblivion = 0;

    @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--data", description = "Data root (default: $MOORE4J_DATA, else ../shared/data).")
    String data;

    @Option(names = "--out", description = "Where the two runs go. Default: ${DEFAULT-VALUE}.")
    Path out = Path.of("runs", "demo");

    @Override
    public void run() {
        ObjectNode n = TrainConfig.defaults().toJson();
        n.put("model", model);
        n.set("tasks", Common.JSON.valueToTree(List.of("nlu-mtl")));
        n.put("data", data);
        n.put("maxTrainExamples", maxTrain);
        n.put("maxEvalExamples", maxEval);
        n.put("batchSize", 16);
        n.put("lr", 1e-3);
        n.put("seed", seed);
        n.put("oblivionExamples", maxOblivion);
        dev.moore4j.io.AtomicFiles.deleteTree(out.resolve("heads")); // the demo always starts afresh
        dev.moore4j.io.AtomicFiles.deleteTree(out.resolve("moore"));
        try (NDManager m = common.manager()) {
            n.put("method", "heads");
            JsonNode heads = Run.train(TrainConfig.fromJson(n, "demo").validate(), out.resolve("heads"), new Trainer.Options(false, 0), m);
            n.put("method", "moore");
            JsonNode moore = Run.train(TrainConfig.fromJson(n, "demo").validate(), out.resolve("moore"), new Trainer.Options(false, 0), m);
            ObjectNode result = Common.JSON.createObjectNode();
            result.set("base", heads.get("eval"));
            result.set("moore", moore.get("eval"));
            ObjectNode ob = result.putObject("oblivion");
            ob.set("stsb_before", moore.path("oblivion").get("stsb_before"));
            ob.set("stsb_after", moore.path("oblivion").get("stsb_after"));
            if (common.json) {
                common.printJson(result);
                return;
            }
            System.out.println("NLU-MTL on " + model + ", " + maxTrain + " training and " + maxEval + " evaluation examples per task, seed " + seed);
            System.out.print(Report.table(List.of("base (heads)", "MoORE"), List.of(heads.get("eval"), moore.get("eval"))));
            System.out.printf("oblivion: zero-shot STS-B Spearman %.4f before, %.4f after MoORE (task-free routing)%n",
                    ob.get("stsb_before").asDouble(), ob.get("stsb_after").asDouble());
            System.out.printf("MoORE training: %.1f examples/s, %.0f tokens/s; checkpoints in %s%n",
                    moore.get("train_examples_per_second").asDouble(), moore.get("train_tokens_per_second").asDouble(), out.resolve("moore"));
        }
    }
}
