package dev.moore4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.config.TrainConfig;

import java.util.List;
import java.util.Map;

/**
 * What {@code summary.json} says of a run, as one record: the run's identity and data sizes, what training did,
 * its native memory, and, once it reached its last step, the figures of a finished run ({@link Finished}).
 *
 * @param examples     per task: training and evaluation examples
 * @param expertLoad   the routers' per-expert token shares over the evaluations (see {@code Run.expertLoad})
 * @param nativeRssMb  native resident MB (RSS minus the JVM pools) every 50 steps
 */
public record RunSummary(String method, String model, TrainConfig config, Map<String, Sizes> examples, long trainableParameters,
                         ObjectNode expertLoad, Trainer.Summary training, List<Integer> skippedSteps, List<Double> nativeRssMb, Trim trim,
                         Finished finished) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Sizes(int train, int eval) {}

    /** The trimmer's account: its slack, how often it trimmed, the working level and the peak after warm-up (MB; -1: not measured). */
    public record Trim(int slackMb, int trims, double workingLevelMb, double peakAfterWarmupMb) {}

    /**
     * @param before       the oblivion figure of the base model (null: none for this run)
     * @param after        the same figure after training
     * @param peakRssScope "this run" where the peak could be reset at its start, else "process"
     */
    public record Finished(Run.Oblivion before, Run.Oblivion after, ObjectNode roofline, double rssMbAtEnd, double peakRssMb, String peakRssScope,
                           double inferenceMsPerExample, String commit, long adapterTrainableParameters, ObjectNode adapter, List<String> warnings,
                           double nativeRssMbAtEnd) {}

    public ObjectNode toJson() {
        ObjectNode summary = JSON.createObjectNode();
        summary.put("method", method);
        summary.put("model", model);
        summary.set("config", config.toJson());
        ObjectNode sizes = summary.putObject("examples");
        examples.forEach((k, v) -> sizes.putObject(k).put("train", v.train()).put("eval", v.eval()));
        summary.put("trainable_parameters", trainableParameters);
        summary.set("expert_load", expertLoad);
        Trainer.Summary s = training;
        summary.put("steps", s.steps());
        summary.put("total_steps", s.totalSteps());
        summary.put("finished", s.finished());
        summary.put("train_seconds", s.trainSeconds());
        summary.put("train_examples_per_second", s.examplesPerSecond());
        summary.put("train_tokens_per_second", s.tokensPerSecond());
        summary.put("loss_first_steps", s.firstLoss()); // this session's steps (a resumed run starts counting again)
        summary.put("loss_last_steps", s.lastLoss());
        summary.set("skipped_steps", JSON.valueToTree(skippedSteps));
        summary.set("native_rss_mb_every_50_steps", JSON.valueToTree(nativeRssMb));
        ObjectNode t = summary.putObject("native_trim");
        t.put("slack_mb", trim.slackMb());
        t.put("trims", trim.trims());
        t.put("working_level_mb", trim.workingLevelMb());
        t.put("peak_after_warmup_mb", trim.peakAfterWarmupMb());
        if (s.last() != null) {
            summary.set("eval", JSON.valueToTree(s.last()));
        }
        if (s.best() != null) {
            summary.set("best", JSON.valueToTree(s.best()));
            summary.put("best_step", s.bestStep());
        }
        if (finished == null) {
            return summary;
        }
        Finished f = finished;
        if (f.before() != null) {
            ObjectNode ob = summary.putObject("oblivion");
            ob.put(f.before().name() + "_before", f.before().value());
            ob.put(f.before().name() + "_after", f.after().value());
        }
        summary.set("roofline", f.roofline());
        summary.put("rss_mb_at_end", f.rssMbAtEnd());
        summary.put("peak_rss_mb", f.peakRssMb());
        summary.put("peak_rss_scope", f.peakRssScope());
        summary.put("inference_ms_per_example", f.inferenceMsPerExample());
        summary.put("commit", f.commit());
        summary.put("adapter_trainable_parameters", f.adapterTrainableParameters());
        summary.set("adapter", f.adapter());
        summary.set("warnings", JSON.valueToTree(f.warnings()));
        summary.put("native_rss_mb_at_end", f.nativeRssMbAtEnd());
        return summary;
    }
}
