package dev.moore4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Param;
import dev.moore4j.config.Schedule;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.eval.EvalBatches;
import dev.moore4j.eval.EvalReport;
import dev.moore4j.eval.Evaluator;
import dev.moore4j.eval.TaskPredictions;
import dev.moore4j.model.Ops;
import dev.moore4j.model.Recompute;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.util.MemoryStats;
import dev.moore4j.util.NativeTrimmer;
import dev.moore4j.util.Progress;
import dev.moore4j.util.Seeds;

import me.tongfei.progressbar.ProgressBar;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one training loop. It knows a {@link TaskModel}'s parameters and loss, nothing of the method:
 * mixed-task shuffled batches (length-bucketed, with per-sample task ids), AdamW with a schedule,
 * gradient accumulation and clipping, NaN/Inf detection, periodic evaluation with best and last
 * checkpoints, and exact resume from the last checkpoint. Each step's arrays live in a scope closed
 * at the end of the step, so native memory stays flat. The loop is all it keeps: the batches come from a
 * {@link BatchPlan}, the checkpoints go through a {@link Checkpointer}, native memory is watched by a
 * {@link MemoryWatch}, and where the run stands is a {@link TrainState}.
 */
public final class Trainer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TaskModel model;
    private final TrainConfig cfg;
    private final Map<String, List<Example>> eval;
    private final Map<String, List<Example>> train;
    private MemoryPlan memoryPlan;
    private Map<String, TaskPredictions> lastPredictions;
    private double lastGradNorm = Double.NaN;
    private final BatchPlan plan;
    private final Checkpointer checkpoints;
    private final int totalSteps;
    private TrainState state = new TrainState();
    private MemoryWatch memory = new MemoryWatch(0);
    private final List<Double> stepSeconds = new ArrayList<>();
    private long peakBeforeSteps = -1;
    private long peakOfSteps = -1;

    /**
     * @param stopAfter   stop (with a last checkpoint) after this step, as if interrupted; 0 = run to the end
     * @param checkpoints evaluate and write checkpoints (false: the steps only, for benchmarks)
     */
    public record Options(boolean resume, int stopAfter, boolean checkpoints) {
        public Options(boolean resume, int stopAfter) {
            this(resume, stopAfter, true);
        }

        /** The optimiser steps and nothing else: no evaluation, no checkpoint (what {@code moore bench train} times). */
        public static Options stepsOnly() {
            return new Options(false, 0, false);
        }
    }

    /** What a run did: steps, throughput, mean loss of its first and last (up to) 10 steps, final and best evaluation. */
    public record Summary(int steps, int totalSteps, boolean finished, double trainSeconds, long examples, long tokens, double firstLoss,
                          double lastLoss, EvalReport last, EvalReport best, int bestStep) {
        public double examplesPerSecond() {
            return trainSeconds > 0 ? examples / trainSeconds : 0;
        }

        public double tokensPerSecond() {
            return trainSeconds > 0 ? tokens / trainSeconds : 0;
        }
    }

    public Trainer(TaskModel model, TrainConfig cfg, Map<String, List<Example>> train, Map<String, List<Example>> eval, String baseReference,
                   Path out) {
        this(model, cfg, train, eval, baseReference, out, null);
    }

    /** @param stages what the checkpoints record as the adapter's stages, this run's last (null: none recorded) */
    public Trainer(TaskModel model, TrainConfig cfg, Map<String, List<Example>> train, Map<String, List<Example>> eval, String baseReference,
                   Path out, ArrayNode stages) {
        this.model = model;
        this.cfg = cfg;
        this.eval = eval;
        this.train = train;
        this.plan = new BatchPlan(train.values().stream().flatMap(List::stream).toList(), cfg.batchSize(), cfg.seed(), model::longest);
        this.totalSteps = cfg.maxSteps() > 0 ? cfg.maxSteps() : (int) Math.ceil(cfg.epochs() * plan.stepsPerEpoch());
        this.checkpoints = new Checkpointer(out, model, cfg, baseReference, totalSteps, stages);
    }

    /** Steps of the last {@link #run} whose update was dropped because of a non-finite loss or gradient. */
    public List<Integer> skippedSteps() {
        return List.copyOf(state.skipped);
    }

    /** The last {@link #run}'s trimmer: how often it handed freed native memory back, working level and peak RSS. */
    public NativeTrimmer trimmer() {
        return memory.trimmer();
    }

    /** Native resident memory (MB, RSS minus the JVM pools) sampled every 50 steps of the last {@link #run}: flat when native memory is scoped well. */
    public List<Double> rssSamples() {
        return memory.samples();
    }

    /** The last {@link #run}'s memory plan: its estimate, budget and whether it recomputes layers (null before a run). */
    public MemoryPlan memoryPlan() {
        return memoryPlan;
    }

    /** The process's peak RSS before the last {@link #run}'s first step (loading, the probe before training), or -1. */
    public long peakBeforeStepsBytes() {
        return peakBeforeSteps;
    }

    /**
     * The peak RSS of the last {@link #run}'s steps (and of evaluations between them), read before its last evaluation;
     * -1 where the peak could not be reset or the run did not reach its last step.
     */
    public long peakOfStepsBytes() {
        return peakOfSteps;
    }

    public int totalSteps() {
        return totalSteps;
    }

    /** Seconds of each step of the last {@link #run} (the trim check included, evaluation and checkpoints not). */
    public List<Double> stepSeconds() {
        return List.copyOf(stepSeconds);
    }

    /** A step this many times slower than the typical one was stopped, not computing (see {@link #countedSeconds}). */
    static final double PAUSED = 20;

    /**
     * The seconds a step adds to the run's training time: as measured, unless it took over {@link #PAUSED} times the
     * typical step (the median of the last 50 this process timed; before 5, {@code fallback}, the mean before a resume).
     * Then the process was stopped (SIGSTOP, a suspended machine) and it counts as typical, so that a pause does not
     * read as slow training in examples per second. {@link #stepSeconds} keeps what was measured.
     */
    static double countedSeconds(double took, List<Double> earlier, double fallback) {
        double typical = fallback;
        if (earlier.size() >= 5) {
            double[] recent = earlier.subList(Math.max(0, earlier.size() - 50), earlier.size()).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            typical = recent[recent.length / 2];
        }
        return !Double.isNaN(typical) && took > PAUSED * typical ? typical : took;
    }

    public Summary run(Options opt, NDManager m) {
        List<Param> all = model.parameters();
        List<Param> heads = model.headParameters();
        List<Param> adapter = all.stream().filter(p -> !heads.contains(p)).toList();
        Schedule schedule = new Schedule(cfg.schedule(), cfg.warmup(), cfg.decay(), totalSteps);
        List<Double> losses = new ArrayList<>();
        EvalReport lastReport = null;
        EvalReport bestReport = null;
        state = new TrainState();
        peakOfSteps = -1;
        memoryPlan = MemoryPlan.choose(model, cfg, train.values()); // before the optimiser allocates: a run that cannot fit stops here
        System.err.println(memoryPlan.line());
        memory = new MemoryWatch(cfg.trimMb() * (1L << 20));
        stepSeconds.clear();
        try (AdamW adapterOpt = new AdamW(s -> cfg.lr() * schedule.multiplier(s), (float) cfg.weightDecay());
             AdamW headOpt = new AdamW(s -> cfg.headLr() * schedule.multiplier(s), (float) cfg.weightDecay())) {
            if (opt.resume()) {
                resume(adapterOpt, adapter, headOpt, heads);
                if (state.recompute != null && state.recompute != memoryPlan.recompute()) {
                    // dropout's random stream differs between the two ways, so a resumed run keeps its first choice
                    memoryPlan = memoryPlan.withRecompute(state.recompute, "as the run did before it was resumed (dropout's random stream depends on it)");
                    System.err.println(memoryPlan.line());
                }
            }
            state.recompute = memoryPlan.recompute();
            // the process's peak so far (loading, the probe before training), then the steps' own from here (VmHWM reset)
            peakBeforeSteps = MemoryStats.peakRssBytes();
            boolean stepsPeak = MemoryStats.resetPeak();
            // the typical step before a resume, until this process has timed a few of its own
            double resumedMean = state.step > 0 && state.seconds > 0 ? state.seconds / state.step : Double.NaN;
            try (ProgressBar bar = Progress.bar("train", totalSteps)) {
                bar.stepTo(state.step);
                while (state.step < totalSteps) {
                    int step = ++state.step;
                    List<Example> batch = plan.batch(step);
                    long t0 = System.nanoTime();
                    double loss = step(batch, all, adapter, heads, adapterOpt, headOpt, step, m);
                    state.record(step, loss, cfg.lr() * schedule.multiplier(step), lastGradNorm);
                    memory.trim(); // timed with the step: its cost is part of training
                    account(step, batch, loss, (System.nanoTime() - t0) / 1e9, resumedMean, losses, bar);
                    boolean evalNow = opt.checkpoints() && evaluatesAt(step, totalSteps, cfg);
                    boolean stopNow = opt.stopAfter() > 0 && step == opt.stopAfter() && step < totalSteps;
                    boolean saveNow = opt.checkpoints() && savesAt(step, totalSteps, cfg);
                    if (step == totalSteps && stepsPeak) { // before the last evaluation: the peak of the steps (and earlier evaluations)
                        peakOfSteps = MemoryStats.peakRssBytes();
                    }
                    if (evalNow) {
                        lastReport = evaluateAndKeepBest(m, step, loss);
                        bestReport = state.bestStep == step ? lastReport : bestReport;
                    }
                    if (evalNow || stopNow || saveNow) {
                        checkpoints.saveLast(state, adapterOpt, headOpt);
                    }
                    if (stopNow) {
                        System.err.println("stopped after step " + step + " (--stop-after); continue with --resume");
                        return summary(false, losses, lastReport, bestReport);
                    }
                }
            }
            if (totalSteps == 0 && opt.checkpoints() && state.history.isEmpty()) { // a stage that only grows the task table
                lastReport = evaluateAndKeepBest(m, 0, Double.NaN);
                bestReport = lastReport;
                checkpoints.saveLast(state, adapterOpt, headOpt);
            }
            if (lastReport == null && opt.checkpoints()) { // resumed a run that had already finished: report where it stands
                lastReport = evaluate(m, state.step);
            }
            if (bestReport == null && state.bestStep > 0) { // resumed after the best was found: read it back from the history
                bestReport = bestFromHistory();
            }
        }
        return summary(true, losses, lastReport, bestReport);
    }

    private void resume(AdamW adapterOpt, List<Param> adapter, AdamW headOpt, List<Param> heads) {
        TrainState resumed = checkpoints.resume(adapterOpt, adapter, headOpt, heads);
        if (resumed != null) {
            state = resumed;
            System.err.println("resuming " + checkpoints.last().getParent() + " at step " + state.step + " of " + totalSteps);
        } else {
            System.err.println("nothing to resume in " + checkpoints.last().getParent() + "; starting at step 0");
        }
    }

    /** A finished step's time, loss, memory, examples and tokens, into the state and the progress bar. */
    private void account(int step, List<Example> batch, double loss, double took, double resumedMean, List<Double> losses, ProgressBar bar) {
        state.seconds += countedSeconds(took, stepSeconds, resumedMean);
        stepSeconds.add(took);
        if (!Double.isNaN(loss)) {
            losses.add(loss);
        }
        memory.sample(step);
        state.examples += batch.size();
        state.tokens += batch.stream().mapToLong(model::tokens).sum();
        bar.step();
        bar.setExtraMessage(String.format(" loss %.4f  %.1f ex/s", loss, state.examples / Math.max(1e-9, state.seconds)));
    }

    /** Evaluates at {@code step}, records it in the history, and saves the best checkpoint when it is the best so far. */
    private EvalReport evaluateAndKeepBest(NDManager m, int step, double loss) {
        EvalReport report = evaluate(m, step);
        memory.trim();
        ObjectNode h = state.history.addObject();
        h.put("step", step);
        h.put("loss", loss);
        h.set("eval", JSON.valueToTree(report));
        if (report.overall() > state.bestOverall) {
            state.bestOverall = report.overall();
            state.bestStep = step;
            checkpoints.saveBest(state);
        }
        return report;
    }

    private EvalReport bestFromHistory() {
        EvalReport best = null;
        for (JsonNode h : state.history) {
            if (h.path("step").asInt() == state.bestStep) {
                best = JSON.convertValue(h.get("eval"), EvalReport.class);
            }
        }
        return best;
    }

    /** Whether step {@code step} of {@code total} evaluates (and saves a checkpoint): every {@code evalEvery} steps and the last. */
    static boolean evaluatesAt(int step, int total, TrainConfig cfg) {
        return step == total || (cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0);
    }

    /**
     * Whether step {@code step} saves a resumable checkpoint: where it evaluates, and every {@code checkpointEvery} steps
     * without evaluating (cheap where the evaluation set is large and only the last step's score is wanted).
     */
    static boolean savesAt(int step, int total, TrainConfig cfg) {
        return evaluatesAt(step, total, cfg) || (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0);
    }

    private EvalReport evaluate(NDManager m, int step) {
        Evaluator.Evaluation e = Evaluator.evaluateKeeping(model, eval, EvalBatches.of(cfg), TaskModel.Routing.BY_TASK, m, "eval@" + step);
        lastPredictions = e.predictions();
        return e.report();
    }

    /**
     * The run's curves: per step the loss, the adapter's rate after the schedule and the gradient norm before clipping
     * ({@code step}, {@code loss}, {@code lr}, {@code grad_norm}, equal-length arrays), and per evaluation the overall and
     * each task's headline metric ({@code eval}: {@code [{step, overall, tasks: {task: value}}]}). Kept across resumes.
     */
    public ObjectNode curves() {
        ObjectNode c = state.curve.deepCopy();
        var evals = c.putArray("eval");
        for (JsonNode h : state.history) {
            ObjectNode e = evals.addObject();
            e.put("step", h.path("step").asInt());
            e.set("overall", h.path("eval").path("overall"));
            ObjectNode tasks = e.putObject("tasks");
            h.path("eval").path("tasks").fields().forEachRemaining(t -> {
                TaskSpec spec = model.tasks().get(model.taskId(t.getKey()));
                tasks.set(t.getKey(), t.getValue().path(spec.metric()));
            });
        }
        return c;
    }

    /** Each example's gold and predicted label at the last evaluation (null before one ran in this process). */
    public Map<String, TaskPredictions> lastPredictions() {
        return lastPredictions;
    }

    private Summary summary(boolean finished, List<Double> losses, EvalReport last, EvalReport best) {
        return new Summary(state.step, totalSteps, finished, state.seconds, state.examples, state.tokens, head(losses), tail(losses), last, best,
                state.bestStep);
    }

    private static double head(List<Double> l) {
        return l.subList(0, Math.min(10, l.size())).stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double tail(List<Double> l) {
        return l.subList(Math.max(0, l.size() - 10), l.size()).stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** One optimiser step over {@code gradAccum} micro-batches; returns the batch loss. */
    private double step(List<Example> batch, List<Param> all, List<Param> adapter, List<Param> heads, AdamW adapterOpt, AdamW headOpt,
                        int step, NDManager parent) {
        try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
            // randomness inside the step (dropout) depends on the seed and the step only, so a resumed run repeats it exactly
            Engine.getInstance().setRandomSeed((int) Seeds.mix(cfg.seed(), step));
            double loss = backward(batch, m, step);
            NDArray sq = null;
            for (Param p : all) {
                NDArray g = p.value().getGradient();
                NDArray s = g.square().sum();
                sq = sq == null ? s : sq.add(s);
            }
            double norm = sq == null ? 0 : Math.sqrt(sq.toType(DataType.FLOAT64, false).getDouble());
            lastGradNorm = norm;
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                List<String> bad = new ArrayList<>();
                for (Param p : all) {
                    double n = p.value().getGradient().abs().sum().toType(DataType.FLOAT64, false).getDouble();
                    if (!Double.isFinite(n)) {
                        bad.add(p.name());
                    }
                }
                String culprit = bad.isEmpty() ? "" : " (" + bad.size() + " of " + all.size() + " parameters; first " + bad.get(0)
                        + ", last " + bad.get(bad.size() - 1) + ")";
                Path dump = checkpoints.dumpBadStep(batch, step);
                if (state.skipped.size() < cfg.maxSkippedSteps()) { // allowed: drop this batch's update, as mixed-precision loss scaling does
                    System.err.println("\nwarning: step " + step + ": non-finite " + (!Double.isFinite(loss) ? "loss" : "gradient" + culprit)
                            + "; update skipped (" + (state.skipped.size() + 1) + " of at most " + cfg.maxSkippedSteps() + "), batch and parameters in " + dump);
                    zeroGradients(all);
                    state.skipped.add(step);
                    return Double.NaN;
                }
                throw new MooreException("step " + step + ": " + (!Double.isFinite(loss) ? "loss" : "gradient norm" + culprit) + " is "
                        + (Double.isNaN(loss) || Double.isNaN(norm) ? "NaN" : "infinite") + "; training stopped without applying it. "
                        + "Last good checkpoint: " + checkpoints.last() + (Files.isDirectory(checkpoints.last()) ? "" : " (none written yet)")
                        + ". The parameters before this step and the batch are in " + dump + ". Lower 'lr' or set 'clipNorm'.");
            }
            if (cfg.clipNorm() > 0 && norm > cfg.clipNorm()) {
                float scale = (float) (cfg.clipNorm() / norm);
                for (Param p : all) {
                    Ops.muli(p.value().getGradient(), scale);
                }
            }
            adapterOpt.step(adapter);
            headOpt.step(heads);
            return loss;
        }
    }

    /**
     * Accumulates the gradient of the batch loss over {@code gradAccum} micro-batches, each weighted by its
     * share of the loss units, so the result equals one pass over the whole batch. Returns the loss.
     */
    double backward(List<Example> batch, NDManager m) {
        return backward(batch, m, 0);
    }

    private double backward(List<Example> batch, NDManager m, int step) {
        int micro = (batch.size() + cfg.gradAccum() - 1) / cfg.gradAccum();
        double total = model.lossUnits(batch);
        double loss = 0;
        for (int from = 0; from < batch.size(); from += micro) {
            List<Example> part = batch.subList(from, Math.min(batch.size(), from + micro));
            double weight = model.lossUnits(part) / total;
            Recompute recompute = (memoryPlan != null ? memoryPlan.recompute() : cfg.recompute()) ? new Recompute(Seeds.mix(cfg.seed(), step) * 131L + from) : null;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = Ops.mul(model.loss(part, m, true, recompute), weight);
                gc.backward(l);
                loss += l.getFloat();
                if (recompute != null) {
                    loss += recompute.backward(gc, weight);
                }
            }
        }
        return loss;
    }

    /** Sets every gradient to zero (subtracting a NaN gradient from itself would leave NaN). */
    private static void zeroGradients(List<Param> params) {
        for (Param p : params) {
            NDArray g = p.value().getGradient();
            g.set(new NDIndex("..."), 0f);
        }
    }
}
