package dev.moore4j.harness;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.task.Split;
import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.eval.RoutingAnalysis;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.DirLock;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.train.Run;
import dev.moore4j.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.function.Predicate;

/**
 * Runs a suite's matrix (methods × seeds, or the rate sweep) into one output directory: each run in
 * {@code runs/KIND-METHOD-lrRATE-sSEED}, every finished run recorded in {@code results.sqlite}, and the
 * Markdown tables regenerated from the database after each run. Rerunning skips recorded runs and resumes
 * interrupted ones from their last checkpoint, so a suite can be killed anywhere.
 */
public final class Suite {
    public static final String DB = "results.sqlite";
    public static final String REPORT = "results.md";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Suite() {}

    /**
     * The main matrix: every method at every seed, each at its rate: {@code lrOverride} (> 0) for adapter methods when
     * given, else the best of the suite's sweep recorded in {@code db} (argmax of the validation score), else the
     * suite file's rate.
     */
    public static List<RunId> plan(SuiteSpec spec, List<String> methods, List<Long> seeds, double lrOverride, ResultsDb db) {
        Map<String, Double> swept = db != null ? bestRates(spec, db) : Map.of();
        List<RunId> keys = new ArrayList<>();
        for (long seed : seeds) { // seed-major: a partial suite has every method at seed 1 first
            for (String method : methods) {
                double lr = lrOverride > 0 && SuiteSpec.family(method).equals("adapter") ? lrOverride
                        : swept.getOrDefault(method, spec.rateFor(method));
                keys.add(new RunId(spec.name(), RunId.MAIN, method, seed, lr));
            }
        }
        return keys;
    }

    /** Most extra grid points a sweep adds beyond either edge of a method's grid while its best stays at the edge. */
    static final int MAX_EXTENSIONS = 2;

    /**
     * The sweep: each method over its grid at the first seed, on the validation split carved from the training data;
     * where the best recorded rate is the grid's highest (lowest), the next point above (below) at the grid's own
     * spacing too, up to {@link #MAX_EXTENSIONS} beyond each edge. Planning again after the runs finish adds the
     * extensions; {@code moore suite --sweep} does so until nothing is left.
     */
    public static List<RunId> sweepPlan(SuiteSpec spec, List<String> methods, long seed, ResultsDb db) {
        List<RunId> keys = new ArrayList<>();
        for (String method : methods) {
            List<Double> grid = spec.gridFor(method);
            if (grid.isEmpty()) {
                throw new MooreException("suite " + spec.name() + ": no sweep grid for method '" + method + "' (grids." + SuiteSpec.family(method) + ")");
            }
            TreeSet<Double> rates = new TreeSet<>(grid);
            double step = grid.size() > 1 ? grid.get(1) / grid.get(0) : Math.sqrt(10);
            Map<Double, Double> scores = db != null ? sweepScores(spec, db, method) : Map.of();
            for (int ext = 0; ext < 2 * MAX_EXTENSIONS && scores.keySet().containsAll(rates); ext++) {
                double best = argmax(scores, rates);
                double next = best == rates.last() ? best * step : best == rates.first() ? best / step : Double.NaN;
                boolean room = best == rates.last() ? rates.tailSet(grid.get(grid.size() - 1), false).size() < MAX_EXTENSIONS
                        : rates.headSet(grid.get(0), false).size() < MAX_EXTENSIONS;
                if (Double.isNaN(next) || !room || rates.size() < 2) {
                    break;
                }
                rates.add(Double.parseDouble(RunId.rate(next))); // rounded as printed: 1e-3 × √10 gives 3e-3, not 3.1622…e-3
            }
            rates.forEach(lr -> keys.add(new RunId(spec.name(), RunId.SWEEP, method, seed, lr)));
        }
        return keys;
    }

    /** Validation overall (the suite's {@link OverallScore}) by rate, of the recorded sweep runs of one method. */
    static Map<Double, Double> sweepScores(SuiteSpec spec, ResultsDb db, String method) {
        return sweepScores(spec.overallScore().of(db.rows(spec.name(), RunId.SWEEP)), method);
    }

    private static Map<Double, Double> sweepScores(List<ResultsDb.Row> sweep, String method) {
        Map<Double, Double> out = new TreeMap<>();
        for (ResultsDb.Row r : sweep) {
            if (r.method().equals(method)) {
                out.merge(r.lr(), r.overall(), Double::sum);
            }
        }
        return out;
    }

    private static double argmax(Map<Double, Double> scores, Set<Double> among) {
        double best = Double.NaN;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (double lr : among) {
            double s = scores.getOrDefault(lr, Double.NEGATIVE_INFINITY);
            if (s > bestScore) {
                best = lr;
                bestScore = s;
            }
        }
        return best;
    }

    /** Each swept method's best rate: the argmax of its validation overall over the rates recorded. */
    public static Map<String, Double> bestRates(SuiteSpec spec, ResultsDb db) {
        return bestRates(spec.overallScore().of(db.rows(spec.name(), RunId.SWEEP)));
    }

    /** As above, from sweep rows already scored by the suite's overall. */
    public static Map<String, Double> bestRates(List<ResultsDb.Row> sweep) {
        Map<String, Double> out = new LinkedHashMap<>();
        Set<String> methods = new LinkedHashSet<>();
        sweep.forEach(r -> methods.add(r.method()));
        for (String m : methods) {
            Map<Double, Double> scores = sweepScores(sweep, m);
            out.put(m, argmax(scores, scores.keySet()));
        }
        return out;
    }

    /**
     * The main runs a report shows: of a swept method, those at its selected rate when any is recorded (runs at a rate
     * an earlier selection chose stay in the database but out of the tables); every run of the others.
     */
    public static List<ResultsDb.Row> current(List<ResultsDb.Row> main, List<ResultsDb.Row> sweep) {
        return main.stream().filter(isCurrent(main, sweep)).toList();
    }

    /** The main runs that {@link #current} leaves out: those at a rate the sweep no longer selects. */
    public static List<ResultsDb.Row> superseded(List<ResultsDb.Row> main, List<ResultsDb.Row> sweep) {
        return main.stream().filter(isCurrent(main, sweep).negate()).toList();
    }

    private static Predicate<ResultsDb.Row> isCurrent(List<ResultsDb.Row> main, List<ResultsDb.Row> sweep) {
        Map<String, Double> best = bestRates(sweep);
        Set<String> atBest = new HashSet<>();
        main.stream().filter(r -> best.containsKey(r.method()) && r.lr() == best.get(r.method())).forEach(r -> atBest.add(r.method()));
        return r -> !atBest.contains(r.method()) || r.lr() == best.get(r.method());
    }

    /**
     * The conflict runs: each method trained on each task alone, at its main rate, for that task's share of the
     * multi-task steps (steps × the task's training examples ÷ all training examples: the batches it saw in the
     * multi-task run). Kind {@code single-TASK}.
     */
    public static List<RunId> conflictPlan(SuiteSpec spec, List<String> methods, List<Long> seeds, ResultsDb db) {
        Map<String, Double> rates = new LinkedHashMap<>();
        plan(spec, methods, seeds.subList(0, 1), 0, db).forEach(k -> rates.put(k.method(), k.lr()));
        List<RunId> keys = new ArrayList<>();
        for (long seed : seeds) {
            for (String method : methods) {
                for (String task : singleTaskSteps(spec).keySet()) {
                    if (spec.overallExcludes().contains(task)) {
                        continue; // the conflict table compares overall scores, which this task is not part of
                    }
                    keys.add(new RunId(spec.name(), new RunId.Single(task), method, seed, rates.get(method)));
                }
            }
        }
        return keys;
    }

    /**
     * The conflict pass's methods: heads, full, lora, moore and the two mixtures ranked highest by the suite's overall at
     * their current rates (without main runs in {@code db}, or without one, the suite's first two), those the suite has.
     */
    public static List<String> conflictMethods(SuiteSpec spec, ResultsDb db) {
        List<String> out = new ArrayList<>(List.of("heads", "full", "lora", "moore"));
        List<String> mixtures = new ArrayList<>(spec.methods().stream().filter(m -> Methods.get(SuiteSpec.variant(m).getKey()).kind() == Method.Kind.MIXTURE).toList());
        if (db != null) {
            OverallScore score = spec.overallScore();
            Map<String, List<Double>> overall = new LinkedHashMap<>();
            for (ResultsDb.Row r : current(score.of(db.rows(spec.name(), RunId.MAIN)), score.of(db.rows(spec.name(), RunId.SWEEP)))) {
                overall.computeIfAbsent(r.method(), k -> new ArrayList<>()).add(r.overall());
            }
            mixtures.sort(java.util.Comparator.comparingDouble(
                    m -> -overall.getOrDefault(m, List.of(Double.NEGATIVE_INFINITY)).stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
        }
        out.addAll(mixtures.subList(0, Math.min(2, mixtures.size())));
        out.retainAll(spec.methods());
        return out;
    }

    /** Steps of each single-task run: the task's share of the multi-task run's steps, rounded up. */
    public static Map<String, Integer> singleTaskSteps(SuiteSpec spec) {
        TrainConfig cfg = spec.config(spec.methods().get(0), spec.seeds().get(0), spec.rateFor(spec.methods().get(0)), false, Map.of());
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (TaskSpec t : TaskRegistry.resolveAll(spec.tasks())) {
            sizes.put(t.name(), Pipeline.load(List.of(t), Split.TRAIN, cfg).get(t.name()).size());
        }
        long all = sizes.values().stream().mapToLong(Integer::longValue).sum();
        Map<String, Integer> out = new LinkedHashMap<>();
        sizes.forEach((t, n) -> out.put(t, (int) Math.max(1, Math.ceil((double) spec.protocol().maxSteps() * n / all))));
        return out;
    }

    /** Trains one planned run into its directory and returns its summary.json (in this process or another). */
    @FunctionalInterface
    public interface RunTrainer {
        JsonNode train(RunId id, Path dir);
    }

    /** The in-process trainer: {@link Run#train} on this process's manager, for the suite's own seeds. */
    public static RunTrainer inProcess(SuiteSpec spec, Map<String, Object> adapter, NDManager m) {
        return inProcess(spec, adapter, m, spec.seeds());
    }

    /**
     * The in-process trainer for an invocation that runs {@code seeds} (a user's {@code --seeds 2,3}): the routing analysis
     * goes to the lowest of them, which is the seed the report draws while no lower one has an analysis.
     */
    public static RunTrainer inProcess(SuiteSpec spec, Map<String, Object> adapter, NDManager m, List<Long> seeds) {
        long first = Collections.min(seeds);
        return (k, dir) -> {
            TrainConfig cfg = config(spec, k, adapter);
            if (k.kind() instanceof RunId.Stage stage && stage.index() > 0) { // continues the stage before, trained just before it
                Path before = dir.resolveSibling(new RunId(k.suite(), stage.previous(), k.method(), k.seed(), k.lr()).dirName()).resolve("best");
                if (!Files.isRegularFile(before.resolve(Checkpoint.CONFIG))) {
                    throw new MooreException("suite " + spec.name() + ": " + k.dirName() + " continues " + before + ", which has no adapter yet");
                }
                cfg = cfg.toBuilder().from(before.toString()).replay(stage.replay()).build();
            }
            JsonNode summary = Run.train(cfg, dir, new Trainer.Options(true, 0), m);
            String method = SuiteSpec.variant(k.method()).getKey();
            // the report draws one seed's routing per method (the lowest), so later seeds skip the analysis: minutes per run
            // on multiple-choice suites; `moore analyze RUN` adds one to any run
            if (k.kind() instanceof RunId.Main && Methods.get(method).hasRouter() && k.seed() == first
                    && spec.protocol().analysisExamples() > 0) {
                analyze(dir, spec, m);
            }
            return summary;
        };
    }

    /** The routing analysis of a finished MoORE or mixture run's best checkpoint, written beside it ({@code best/analysis.json}). */
    static void analyze(Path runDir, SuiteSpec spec, NDManager parent) {
        Path best = runDir.resolve("best");
        if (!Files.isDirectory(best) || Files.isRegularFile(best.resolve(ANALYSIS))) {
            return;
        }
        try (NDManager m = parent.newSubManager(); Checkpoint.Opened o = Checkpoint.open(best, null, m)) {
            int n = spec.protocol().analysisPerTask();
            TrainConfig cfg = o.config().toBuilder().maxEvalExamples(n).build();
            var out = RoutingAnalysis.run(o.model(), Pipeline.load(o.model().tasks(), Split.EVAL, cfg), dev.moore4j.eval.EvalBatches.of(cfg), m);
            out.put("examples_per_task", n);
            AtomicFiles.writeString(best.resolve(ANALYSIS), out.toPrettyString() + "\n");
        }
    }

    public static final String ANALYSIS = "analysis.json";

    /**
     * The training config of a planned run: the suite's protocol, on one task for a single-task run, on a stage's tasks
     * for a stage (whose adapter to continue the trainer adds: it knows where runs live).
     */
    public static TrainConfig config(SuiteSpec spec, RunId k, Map<String, Object> adapter) {
        if (k.kind() instanceof RunId.Stage stage) {
            List<String> entries = SuiteSequential.stageTasks(spec, stage).stream().map(t -> taskEntry(spec, t)).toList();
            return spec.config(k.method(), k.seed(), k.lr(), false, adapter, entries, SuiteSequential.stageSteps(spec, stage));
        }
        if (k.kind() instanceof RunId.Single single) {
            String task = single.task();
            // no oblivion probe: the conflict table reads the task's score only, and the probe costs a main run's
            return spec.config(k.method(), k.seed(), k.lr(), false, adapter, List.of(taskEntry(spec, task)), singleTaskSteps(spec).get(task))
                    .toBuilder().oblivion(false).build();
        }
        return spec.config(k.method(), k.seed(), k.lr(), k.kind() instanceof RunId.Sweep, adapter);
    }

    /** The suite's own entry for a task (a spec file's path where the suite names one), by the task's name. */
    private static String taskEntry(SuiteSpec spec, String task) {
        for (String entry : spec.tasks()) {
            for (TaskSpec t : TaskRegistry.resolveAll(List.of(entry))) {
                if (t.name().equals(task)) {
                    return entry.endsWith(".json") || entry.matches(".*\\.ya?ml$") ? entry : task;
                }
            }
        }
        throw new MooreException("suite " + spec.name() + ": no task '" + task + "'");
    }

    /**
     * Runs what is not recorded yet, {@code jobs} at a time; returns how many runs it did. Results are
     * recorded (and the report rewritten) in plan order as runs finish, by this thread alone. A failed
     * run is reported and the suite goes on.
     */
    public static int run(SuiteSpec spec, List<RunId> plan, Path out, int jobs, RunTrainer trainer, String command) {
        return run(spec, plan, out, jobs, trainer, command, null);
    }

    /** Writes a page of a suite's results into its output directory (the HTML report lives above this package). */
    @FunctionalInterface
    public interface PageWriter {
        void write(ResultsDb db, String suite, Path out);
    }

    /** As above; {@code page}, when given, also writes its page after every finished run, next to {@code results.md}. */
    public static int run(SuiteSpec spec, List<RunId> plan, Path out, int jobs, RunTrainer trainer, String command, PageWriter page) {
        int done = 0;
        // one job runs on this thread (as before); more run side by side, each its own process (see SuiteCommand)
        ExecutorService pool = jobs > 1 ? Executors.newFixedThreadPool(jobs) : null;
        try (DirLock lock = DirLock.acquire(out, command); ResultsDb db = ResultsDb.open(out.resolve(DB))) {
            List<FutureTask<JsonNode>> pending = new ArrayList<>();
            Map<RunId, FutureTask<JsonNode>> byId = new LinkedHashMap<>();
            int i = 0;
            for (RunId k : plan) {
                i++;
                if (db.has(k)) {
                    System.err.printf("suite %s: [%d/%d] %s recorded already%n", spec.name(), i, plan.size(), k.dirName());
                    pending.add(null);
                    continue;
                }
                Path dir = out.resolve("runs").resolve(k.dirName());
                String label = String.format("suite %s: [%d/%d] %s", spec.name(), i, plan.size(), k.dirName());
                // a stage waits for the one it continues: earlier in the plan, so already taken by a job (no deadlock)
                FutureTask<JsonNode> before = k.kind() instanceof RunId.Stage st && st.index() > 0
                        ? byId.get(new RunId(k.suite(), st.previous(), k.method(), k.seed(), k.lr())) : null;
                FutureTask<JsonNode> task = new FutureTask<>(() -> {
                    if (before != null) {
                        before.get();
                    }
                    System.err.println(label);
                    JsonNode summary = summaryOf(dir);
                    return summary != null ? summary : trainer.train(k, dir);
                });
                if (pool != null) {
                    pool.execute(task);
                }
                pending.add(task);
                byId.put(k, task);
            }
            for (int j = 0; j < plan.size(); j++) {
                FutureTask<JsonNode> f = pending.get(j);
                if (f == null) {
                    continue;
                }
                RunId k = plan.get(j);
                if (pool == null) {
                    f.run();
                }
                try {
                    db.record(k, out.resolve("runs").resolve(k.dirName()), f.get());
                    done++;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof MooreException)) {
                        throw new MooreException("suite " + spec.name() + ": " + k.dirName() + ": " + e.getCause(), e.getCause());
                    }
                    System.err.println("suite " + spec.name() + ": " + k.dirName() + " failed: " + e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MooreException("suite " + spec.name() + ": interrupted");
                }
                writeReport(spec, db, out, command, page);
            }
            writeReport(spec, db, out, command, page);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        return done;
    }

    private static JsonNode summaryOf(Path dir) {
        Path f = dir.resolve("summary.json");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            return null; // a torn summary: the run resumes and writes it again
        }
    }

    public static void writeReport(SuiteSpec spec, ResultsDb db, Path out, String command, PageWriter page) {
        OverallScore score = spec.overallScore();
        db.overallScore(spec.name(), score); // the HTML page, made from the database alone, scores the same way
        List<ResultsDb.Row> single = score.of(db.singleRows(spec.name()));
        List<ResultsDb.Row> sweep = score.of(db.rows(spec.name(), RunId.SWEEP));
        List<ResultsDb.Row> main = current(score.of(db.rows(spec.name(), RunId.MAIN)), sweep);
        List<ResultsDb.Row> stages = score.of(db.stageRows(spec.name()));
        String md = SuiteReport.markdown(spec, main, sweep, single, stages, command,
                r -> score.kept(db.predictions(r.id())));
        AtomicFiles.writeString(out.resolve(REPORT), md);
        if (page != null && !main.isEmpty()) {
            page.write(db, spec.name(), out);
        }
    }
}
