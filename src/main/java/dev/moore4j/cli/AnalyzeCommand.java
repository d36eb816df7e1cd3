package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.task.Split;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.eval.RoutingAnalysis;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code moore analyze}: what a trained MoORE or mixture adapter's router does, per layer and task ({@link RoutingAnalysis}). */
@Command(name = "analyze", description = {"Routing analysis of a MoORE adapter on its tasks' evaluation data: per layer and task the adjusted "
        + "spectrum w/s (mean, std), the share of experts switched off by the ReLU, the normalised entropy of w, the task-only and sample-only "
        + "parts of the adjustment (RMS relative to s), the mean adjustment per expert (binned), task-free routing as one more row, and the "
        + "task x task cosine similarity of the mean adjustments.", "For a mixture adapter (mixlora, loramoe, mola, hydralora, omoe, goat, "
        + "mosld): per layer and task the share of tokens each expert received, its normalised entropy and largest share, and the task "
        + "similarity of the loads. Written to DIR/analysis.json."})
public final class AnalyzeCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Option(names = "--tasks", split = ",", description = "Subset of the adapter's tasks (default: all).")
    List<String> tasks;

    @Option(names = "--max-examples", description = "Evaluation examples per task. Default: ${DEFAULT-VALUE}.")
    int maxExamples = 200;

    @Override
    public void run() {
        Common.range("--max-examples", maxExamples, 1, Integer.MAX_VALUE);
        try (AdaptedModel am = source.openAdapter(common, "analyze")) {
            Checkpoint.Opened o = am.checkpoint();
            NDManager m = am.manager();
            TrainConfig cfg = o.config().toBuilder().maxEvalExamples(maxExamples).build();
            List<TaskSpec> selected = o.model().tasks();
            if (tasks != null) {
                selected = tasks.stream().map(t -> o.model().tasks().get(o.model().taskId(t))).toList();
            }
            Map<String, List<Example>> sets = Pipeline.load(selected, Split.EVAL, cfg);
            ObjectNode out = RoutingAnalysis.run(o.model(), sets, dev.moore4j.eval.EvalBatches.of(cfg), m);
            out.put("adapter", source.adapter.toString());
            out.put("examples_per_task", maxExamples);
            AtomicFiles.writeString(source.adapter.resolve("analysis.json"), out.toPrettyString() + "\n");
            if (common.json) {
                common.printJson(out);
                return;
            }
            System.out.printf("%s routing on %d layers, up to %d examples per task (mean over layers; written to %s)%n", out.get("method").asText(),
                    out.get("layers").size(), maxExamples, source.adapter.resolve("analysis.json"));
            System.out.println("| task | w/s mean | w/s std | off share | entropy | task part | sample part |");
            System.out.println("|---|---|---|---|---|---|---|");
            out.get("mean_over_layers").fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                System.out.printf(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |%n", e.getKey(), v.path("w_over_s_mean").asDouble(),
                        v.path("w_over_s_std").asDouble(), v.path("off_share").asDouble(), v.path("entropy").asDouble(),
                        v.path("task_part_rms").asDouble(), v.path("sample_part_rms").asDouble());
            });
            JsonNode sim = out.get("task_similarity");
            System.out.println("task similarity (cosine of the mean adjustments, all layers):");
            for (int i = 0; i < sim.get("tasks").size(); i++) {
                StringBuilder row = new StringBuilder(String.format("  %-12s", sim.get("tasks").get(i).asText()));
                sim.get("matrix").get(i).forEach(x -> row.append(String.format(Locale.ROOT, " %6.3f", x.asDouble())));
                System.out.println(row);
            }
        }
    }
}
