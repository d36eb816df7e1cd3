package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.eval.EvalReport;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.Run;
import dev.moore4j.train.TrainConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code moore eval}: scores an adapter checkpoint on its tasks' evaluation sets. */
@Command(name = "eval", description = "Evaluate an adapter checkpoint: per-task metrics and the overall mean.")
public final class EvalCommand implements Runnable {
    @Mixin
    Common common;

    @Option(names = "--adapter", required = true, description = "Checkpoint directory (e.g. OUT/best).")
    Path adapter;

    @Option(names = "--tasks", split = ",", description = "Subset of the adapter's tasks (default: all).")
    List<String> tasks;

    @Option(names = "--task-free", description = "Route with the mean task embedding instead of each task's id.")
    boolean taskFree;

    @Option(names = "--data", description = "Data root (default: the adapter's, else $MOORE4J_DATA, else ../shared/data).")
    String data;

    @Option(names = "--max-eval", description = "Per-task cap on evaluation examples (default: the adapter's).")
    Integer maxEval;

    @Option(names = "--model", description = "Base model to load instead of the recorded one (must have the same weights).")
    String model;

    @Option(names = "--oblivion", description = "Also report the zero-shot STS-B figure (encoders) under task-free routing.")
    boolean oblivion;

    @Override
    public void run() {
        try (NDManager m = common.manager(); Pipeline.Opened o = Pipeline.open(adapter, model, m)) {
            TrainConfig cfg = o.config();
            var n = cfg.toJson();
            if (data != null) {
                n.put("data", data);
            }
            if (maxEval != null) {
                n.put("maxEvalExamples", maxEval);
            }
            cfg = TrainConfig.fromJson(n, adapter.toString());
            List<TaskSpec> selected = o.model().tasks();
            if (tasks != null) {
                selected = tasks.stream().map(t -> o.model().tasks().get(o.model().taskId(t))).toList();
            }
            Map<String, List<Example>> sets = Pipeline.load(selected, false, cfg);
            EvalReport r = dev.moore4j.eval.Evaluator.evaluate(o.model(), sets, cfg.evalBatchSize(), taskFree, m, taskFree ? "eval (task-free)" : "eval");
            Run.Oblivion ob = oblivion ? Run.oblivion(o.model(), cfg, m, "after") : null;
            if (oblivion && ob == null) {
                throw new MooreException("--oblivion: this adapter's model has no oblivion figure (decoders need 'heldOutText')");
            }
            if (common.json) {
                var out = Common.JSON.valueToTree(r);
                if (ob != null) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) out).put(ob.name(), ob.value());
                }
                common.printJson(out);
            } else {
                System.out.print(Report.table(List.of(taskFree ? "task-free" : "task id"), List.of(Common.JSON.valueToTree(r))));
                if (ob != null) {
                    System.out.printf("oblivion %s = %.4f%n", ob.name(), ob.value());
                }
            }
        }
    }
}
