package dev.moore4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Param;
import dev.moore4j.eval.EvalReport;
import dev.moore4j.eval.Evaluator;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.Ops;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.Example;
import dev.moore4j.util.NativeTrimmer;
import dev.moore4j.util.Progress;

import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The one training loop. It knows a {@link TaskModel}'s parameters and loss, nothing of the method:
 * mixed-task shuffled batches (length-bucketed, with per-sample task ids), AdamW with a schedule,
 * gradient accumulation and clipping, NaN/Inf detection, periodic evaluation with best and last
 * checkpoints, and exact resume from the last checkpoint. Each step's arrays live in a scope closed
 * at the end of the step, so native memory stays flat.
 */
public final class Trainer {
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUCKET_WINDOW = 50; // batches per length-sorting window

    private final TaskModel model;
    private final TrainConfig cfg;
    private final List<Example> train;
    private final Map<String, List<Example>> eval;
    private final String baseReference;
    private final Path out;
    private final int stepsPerEpoch;
    private final int totalSteps;
    private int cachedEpoch = -1;
    private final List<Integer> skipped = new ArrayList<>(); // steps whose update was dropped (non-finite)
    private final List<Double> rss = new ArrayList<>(); // native resident MB (RSS minus JVM pools) every 50 steps
    private NativeTrimmer trimmer = new NativeTrimmer(0);
    private List<List<Example>> epochBatches;

    /**
     * @param stopAfter stop (with a last checkpoint) after this step, as if interrupted; 0 = run to the end
     */
    public record Options(boolean resume, int stopAfter) {}

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
        this.model = model;
        this.cfg = cfg;
        this.train = train.values().stream().flatMap(List::stream).toList();
        this.eval = eval;
        this.baseReference = baseReference;
        this.out = out;
        this.stepsPerEpoch = (this.train.size() + cfg.batchSize() - 1) / cfg.batchSize();
        this.totalSteps = cfg.maxSteps() > 0 ? cfg.maxSteps() : (int) Math.ceil(cfg.epochs() * stepsPerEpoch);
    }

    /** Steps of the last {@link #run} whose update was dropped because of a non-finite loss or gradient. */
    public List<Integer> skippedSteps() {
        return List.copyOf(skipped);
    }

    /** The last {@link #run}'s trimmer: how often it handed freed native memory back, working level and peak RSS. */
    public NativeTrimmer trimmer() {
        return trimmer;
    }

    /** Native resident memory (MB, RSS minus the JVM pools) sampled every 50 steps of the last {@link #run}: flat when native memory is scoped well. */
    public List<Double> rssSamples() {
        return List.copyOf(rss);
    }

    public int totalSteps() {
        return totalSteps;
    }

    /** The examples of optimiser step {@code step} (1-based); depends only on the seed and the data. */
    List<Example> batch(int step) {
        int epoch = (step - 1) / stepsPerEpoch;
        if (epoch != cachedEpoch) {
            epochBatches = plan(epoch);
            cachedEpoch = epoch;
        }
        return epochBatches.get((step - 1) % stepsPerEpoch);
    }

    /** Shuffle, sort windows of {@value #BUCKET_WINDOW} batches by length (less padding), cut, shuffle the batch order. */
    private List<List<Example>> plan(int epoch) {
        SplittableRandom rnd = new SplittableRandom(cfg.seed() * 1_000_003L + epoch);
        List<Example> order = new ArrayList<>(train);
        shuffle(order, rnd);
        List<List<Example>> batches = new ArrayList<>();
        int window = cfg.batchSize() * BUCKET_WINDOW;
        for (int from = 0; from < order.size(); from += window) {
            List<Example> w = new ArrayList<>(order.subList(from, Math.min(order.size(), from + window)));
            w.sort(Comparator.comparingInt(model::tokens));
            for (int b = 0; b < w.size(); b += cfg.batchSize()) {
                batches.add(List.copyOf(w.subList(b, Math.min(w.size(), b + cfg.batchSize()))));
            }
        }
        shuffle(batches, rnd);
        return batches;
    }

    private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    public Summary run(Options opt, NDManager m) {
        List<Param> all = model.parameters();
        List<Param> heads = all.stream().filter(p -> p.name().startsWith("heads.")).toList();
        List<Param> adapter = all.stream().filter(p -> !p.name().startsWith("heads.")).toList();
        Schedule schedule = new Schedule(cfg.schedule(), cfg.warmup(), cfg.decay(), totalSteps);
        int step = 0;
        double bestOverall = Double.NEGATIVE_INFINITY;
        int bestStep = 0;
        double seconds = 0;
        long examples = 0;
        long tokens = 0;
        EvalReport lastReport = null;
        EvalReport bestReport = null;
        ArrayNode history = JSON.createArrayNode();
        List<Double> losses = new ArrayList<>();
        rss.clear();
        skipped.clear();
        trimmer = new NativeTrimmer(cfg.trimMb() * (1L << 20));
        try (AdamW adapterOpt = new AdamW(s -> cfg.lr() * schedule.multiplier(s), (float) cfg.weightDecay());
             AdamW headOpt = new AdamW(s -> cfg.headLr() * schedule.multiplier(s), (float) cfg.weightDecay())) {
            Path lastDir = out.resolve("last");
            if (opt.resume()) {
                recover(lastDir, STATE);
                recover(out.resolve("best"), Pipeline.CONFIG);
            }
            if (opt.resume() && Files.isRegularFile(lastDir.resolve(STATE))) {
                JsonNode st = readState(lastDir);
                step = st.get("step").asInt();
                bestOverall = st.path("best_overall").asDouble(Double.NEGATIVE_INFINITY);
                bestStep = st.path("best_step").asInt();
                seconds = st.path("train_seconds").asDouble();
                examples = st.path("examples").asLong();
                tokens = st.path("tokens").asLong();
                history = (ArrayNode) st.withArray("history");
                st.path("skipped_steps").forEach(x -> skipped.add(x.asInt()));
                model.loadState(Safetensors.open(lastDir.resolve(Pipeline.WEIGHTS)));
                Safetensors.Reader opts = Safetensors.open(lastDir.resolve(OPTIMIZER));
                adapterOpt.load(adapter, opts, step);
                headOpt.load(heads, opts, step);
                System.err.println("resuming " + out + " at step " + step + " of " + totalSteps);
            } else if (opt.resume()) {
                System.err.println("nothing to resume in " + out + "; starting at step 0");
            }
            try (ProgressBar bar = Progress.bar("train", totalSteps)) {
                bar.stepTo(step);
                while (step < totalSteps) {
                    step++;
                    List<Example> batch = batch(step);
                    long t0 = System.nanoTime();
                    double loss = step(batch, all, adapter, heads, adapterOpt, headOpt, step, m);
                    trimmer.check(); // timed with the step: its cost is part of training
                    seconds += (System.nanoTime() - t0) / 1e9;
                    if (!Double.isNaN(loss)) {
                        losses.add(loss);
                    }
                    if (step % 50 == 0) {
                        rss.add(dev.moore4j.util.MemoryStats.nativeRssBytes() / 1e6);
                    }
                    examples += batch.size();
                    tokens += batch.stream().mapToLong(model::tokens).sum();
                    bar.step();
                    bar.setExtraMessage(String.format(" loss %.4f  %.1f ex/s", loss, examples / Math.max(1e-9, seconds)));
                    boolean evalNow = step == totalSteps || (cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0);
                    boolean stopNow = opt.stopAfter() > 0 && step == opt.stopAfter() && step < totalSteps;
                    if (evalNow) {
                        lastReport = Evaluator.evaluate(model, eval, cfg.evalBatchSize(), false, m, "eval@" + step);
                        trimmer.check();
                        ObjectNode h = history.addObject();
                        h.put("step", step);
                        h.put("loss", loss);
                        h.set("eval", JSON.valueToTree(lastReport));
                        if (lastReport.overall() > bestOverall) {
                            bestOverall = lastReport.overall();
                            bestStep = step;
                            bestReport = lastReport;
                            saveDir(out.resolve("best"), null, null, step, bestOverall, bestStep, seconds, examples, tokens, history);
                        }
                    }
                    if (evalNow || stopNow) {
                        saveDir(lastDir, adapterOpt, headOpt, step, bestOverall, bestStep, seconds, examples, tokens, history);
                    }
                    if (stopNow) {
                        System.err.println("stopped after step " + step + " (--stop-after); continue with --resume");
                        return new Summary(step, totalSteps, false, seconds, examples, tokens, head(losses), tail(losses), lastReport, bestReport, bestStep);
                    }
                }
            }
            if (lastReport == null) { // resumed a run that had already finished: report where it stands
                lastReport = Evaluator.evaluate(model, eval, cfg.evalBatchSize(), false, m, "eval@" + step);
            }
            if (bestReport == null && bestStep > 0) { // resumed after the best was found: read it back from the history
                for (JsonNode h : history) {
                    if (h.path("step").asInt() == bestStep) {
                        bestReport = JSON.convertValue(h.get("eval"), EvalReport.class);
                    }
                }
            }
        }
        return new Summary(step, totalSteps, true, seconds, examples, tokens, head(losses), tail(losses), lastReport, bestReport, bestStep);
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
            Engine.getInstance().setRandomSeed((int) (cfg.seed() * 1_000_003L + step));
            double loss = backward(batch, m);
            NDArray sq = null;
            for (Param p : all) {
                NDArray g = p.value().getGradient();
                NDArray s = g.square().sum();
                sq = sq == null ? s : sq.add(s);
            }
            double norm = sq == null ? 0 : Math.sqrt(sq.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble());
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                List<String> bad = new ArrayList<>();
                for (Param p : all) {
                    double n = p.value().getGradient().abs().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                    if (!Double.isFinite(n)) {
                        bad.add(p.name());
                    }
                }
                String culprit = bad.isEmpty() ? "" : " (" + bad.size() + " of " + all.size() + " parameters; first " + bad.get(0)
                        + ", last " + bad.get(bad.size() - 1) + ")";
                Path dump = out.resolve("nan-step-" + step);
                dumpBadStep(dump, batch, step);
                if (skipped.size() < cfg.maxSkippedSteps()) { // allowed: drop this batch's update, as mixed-precision loss scaling does
                    System.err.println("\nwarning: step " + step + ": non-finite " + (!Double.isFinite(loss) ? "loss" : "gradient" + culprit)
                            + "; update skipped (" + (skipped.size() + 1) + " of at most " + cfg.maxSkippedSteps() + "), batch and parameters in " + dump);
                    zeroGradients(all);
                    skipped.add(step);
                    return Double.NaN;
                }
                throw new MooreException("step " + step + ": " + (!Double.isFinite(loss) ? "loss" : "gradient norm" + culprit) + " is "
                        + (Double.isNaN(loss) || Double.isNaN(norm) ? "NaN" : "infinite") + "; training stopped without applying it. "
                        + "Last good checkpoint: " + out.resolve("last") + (Files.isDirectory(out.resolve("last")) ? "" : " (none written yet)")
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
        int micro = (batch.size() + cfg.gradAccum() - 1) / cfg.gradAccum();
        double total = model.lossUnits(batch);
        double loss = 0;
        for (int from = 0; from < batch.size(); from += micro) {
            List<Example> part = batch.subList(from, Math.min(batch.size(), from + micro));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = Ops.mul(model.loss(part, m, true), model.lossUnits(part) / total);
                gc.backward(l);
                loss += l.getFloat();
            }
        }
        return loss;
    }

    /** Sets every gradient to zero (subtracting a NaN gradient from itself would leave NaN). */
    private static void zeroGradients(List<Param> params) {
        for (Param p : params) {
            NDArray g = p.value().getGradient();
            g.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
        }
    }

    /** The parameters before a failed step and the sources of its batch, to reproduce it. */
    private void dumpBadStep(Path dir, List<Example> batch, int step) {
        ObjectNode info = JSON.createObjectNode();
        info.put("step", step);
        info.set("batch", JSON.valueToTree(batch.stream().map(e -> e.task() + " " + e.source()).toList()));
        Pipeline.save(dir, model, cfg, baseReference, info);
    }

    private void saveDir(Path dir, AdamW adapterOpt, AdamW headOpt, int step, double bestOverall, int bestStep, double seconds, long examples,
                         long tokens, ArrayNode history) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".partial");
        dev.moore4j.io.AtomicFiles.deleteTree(tmp);
        ObjectNode info = JSON.createObjectNode();
        info.put("step", step);
        info.put("total_steps", totalSteps);
        Pipeline.save(tmp, model, cfg, baseReference, info);
        if (adapterOpt != null) {
            Map<String, dev.moore4j.io.HostTensor> moments = new java.util.TreeMap<>(adapterOpt.state());
            moments.putAll(headOpt.state());
            Pipeline.writeTensors(tmp.resolve(OPTIMIZER), moments);
            ObjectNode st = JSON.createObjectNode();
            st.put("step", step);
            st.put("total_steps", totalSteps);
            st.put("best_overall", bestOverall);
            st.put("best_step", bestStep);
            st.put("train_seconds", seconds);
            st.put("examples", examples);
            st.put("tokens", tokens);
            st.set("history", history);
            st.set("skipped_steps", JSON.valueToTree(skipped));
            AtomicFiles.writeString(tmp.resolve(STATE), st.toPrettyString() + "\n");
        }
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        try {
            dev.moore4j.io.AtomicFiles.deleteTree(old);
            if (Files.exists(dir)) {
                Files.move(dir, old);
            }
            Files.move(tmp, dir);
            dev.moore4j.io.AtomicFiles.deleteTree(old);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot write checkpoint: " + e.getMessage());
        }
    }

    /**
     * Finishes or undoes a checkpoint swap that a crash interrupted. {@link #saveDir} writes {@code X.partial}
     * (its {@code marker} file last), moves {@code X} to {@code X.old}, then {@code X.partial} to {@code X}:
     * killed in between, {@code X} is missing; the complete {@code X.partial} (marker present) is the newer
     * checkpoint, else {@code X.old} is the last complete one. A partial without its marker is discarded.
     */
    static void recover(Path dir, String marker) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".partial");
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        try {
            if (!Files.isDirectory(dir)) {
                if (Files.isRegularFile(tmp.resolve(marker))) {
                    Files.move(tmp, dir);
                    System.err.println("recovered " + dir + " from an interrupted checkpoint swap");
                } else if (Files.isDirectory(old)) {
                    Files.move(old, dir);
                    System.err.println("recovered " + dir + " from its previous checkpoint");
                }
            }
            dev.moore4j.io.AtomicFiles.deleteTree(tmp);
            dev.moore4j.io.AtomicFiles.deleteTree(old);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot recover the checkpoint: " + e.getMessage());
        }
    }

    private static JsonNode readState(Path dir) {
        try {
            return JSON.readTree(dir.resolve(STATE).toFile());
        } catch (IOException e) {
            throw new MooreException(dir.resolve(STATE) + ": cannot read trainer state: " + e.getMessage());
        }
    }
}
