package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Split;
import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.eval.EvalReport;
import dev.moore4j.eval.Evaluator;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.Run;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/** {@code moore eval}: scores an adapter checkpoint on its tasks' evaluation sets. */
@Command(name = "eval", description = "Evaluate an adapter checkpoint: per-task metrics and the overall mean.")
public final class EvalCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    ModelSource source;

    @Option(names = "--tasks", split = ",", description = "Subset of the adapter's tasks (default: all).")
    List<String> tasks;

    @Option(names = "--task-free", description = "Route with the mean task embedding instead of each task's id.")
    boolean taskFree;

    @Option(names = "--data", description = "Data root (default: the adapter's, else $MOORE4J_DATA, else ../shared/data).")
    String data;

    @Option(names = "--max-eval", description = "Per-task cap on evaluation examples (default: the adapter's).")
    Integer maxEval;

    @Option(names = "--oblivion", description = "Also report the zero-shot STS-B figure (encoders) under task-free routing.")
    boolean oblivion;

    @Override
    public void run() {
        try (AdaptedModel am = source.openAdapter(common, "eval")) {
            Checkpoint.Opened o = am.checkpoint();
            NDManager m = am.manager();
            TrainConfig cfg = o.config();
            cfg = cfg.toBuilder().data(data != null ? data : cfg.data()).maxEvalExamples(maxEval != null ? maxEval : cfg.maxEvalExamples()).build();
            List<TaskSpec> selected = o.model().tasks();
            if (tasks != null) {
                selected = tasks.stream().map(t -> o.model().tasks().get(o.model().taskId(t))).toList();
            }
            Map<String, List<Example>> sets = Pipeline.load(selected, Split.EVAL, cfg);
            EvalReport r = Evaluator.evaluate(o.model(), sets, dev.moore4j.eval.EvalBatches.of(cfg), taskFree ? TaskModel.Routing.TASK_FREE : TaskModel.Routing.BY_TASK, m, taskFree ? "eval (task-free)" : "eval");
            Run.Oblivion ob = oblivion ? Run.oblivion(o.model(), cfg, m) : null;
            if (oblivion && ob == null) {
                throw new MooreException("--oblivion: this adapter's model has no oblivion figure (decoders need 'heldOutText')");
            }
            if (common.json) {
                var out = Common.JSON.valueToTree(r);
                if (ob != null) {
                    ((ObjectNode) out).put(ob.name(), ob.value());
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
