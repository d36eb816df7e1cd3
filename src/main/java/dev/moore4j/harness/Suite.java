package dev.moore4j.harness;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.train.Run;
import dev.moore4j.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;

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

    /** One run of the matrix. */
    public record Key(String kind, String method, long seed, double lr) {
        public String dirName() {
            String safe = method.replace("[", "_").replace("]", "").replace("=", "-").replace(",", "_");
            return String.format(Locale.ROOT, "%s-%s-lr%s-s%d", kind, safe, rate(lr), seed);
        }
    }

    static String rate(double lr) {
        return String.format(Locale.ROOT, "%.0e", lr).replace("e-0", "e-");
    }

    private Suite() {}

    /** The runs to do: the main matrix, or (sweep) the sweep methods at every sweep rate with the first seed. */
    public static List<Key> plan(SuiteSpec spec, List<String> methods, List<Long> seeds, boolean sweep, double lrOverride) {
        List<Key> keys = new ArrayList<>();
        if (sweep) {
            for (String method : methods) {
                for (double lr : spec.sweepLrs()) {
                    keys.add(new Key("sweep", method, seeds.get(0), lr));
                }
            }
            return keys;
        }
        for (long seed : seeds) { // seed-major: a partial suite has every method at seed 1 first
            for (String method : methods) {
                keys.add(new Key("main", method, seed, spec.lrFor(method, lrOverride)));
            }
        }
        return keys;
    }

    /** Trains one planned run into its directory and returns its summary.json (in this process or another). */
    @FunctionalInterface
    public interface RunTrainer {
        JsonNode train(Key key, Path dir);
    }

    /** The in-process trainer: {@link Run#train} on this process's manager. */
    public static RunTrainer inProcess(SuiteSpec spec, Map<String, Object> adapter, NDManager m) {
        return (k, dir) -> Run.train(spec.config(k.method(), k.seed(), k.lr(), k.kind().equals("sweep"), adapter), dir,
                new Trainer.Options(true, 0), m);
    }

    /**
     * Runs what is not recorded yet, {@code jobs} at a time; returns how many runs it did. Results are
     * recorded (and the report rewritten) in plan order as runs finish, by this thread alone. A failed
     * run is reported and the suite goes on.
     */
    public static int run(SuiteSpec spec, List<Key> plan, Path out, int jobs, RunTrainer trainer, String command) {
        int done = 0;
        // one job runs on this thread (as before); more run side by side, each its own process (see SuiteCommand)
        ExecutorService pool = jobs > 1 ? Executors.newFixedThreadPool(jobs) : null;
        try (ResultsDb db = ResultsDb.open(out.resolve(DB))) {
            List<FutureTask<JsonNode>> pending = new ArrayList<>();
            int i = 0;
            for (Key k : plan) {
                i++;
                if (db.has(spec.name(), k.kind(), k.method(), k.seed(), k.lr())) {
                    System.err.printf("suite %s: [%d/%d] %s recorded already%n", spec.name(), i, plan.size(), k.dirName());
                    pending.add(null);
                    continue;
                }
                Path dir = out.resolve("runs").resolve(k.dirName());
                String label = String.format("suite %s: [%d/%d] %s", spec.name(), i, plan.size(), k.dirName());
                FutureTask<JsonNode> task = new FutureTask<>(() -> {
                    System.err.println(label);
                    JsonNode summary = summaryOf(dir);
                    return summary != null ? summary : trainer.train(k, dir);
                });
                if (pool != null) {
                    pool.execute(task);
                }
                pending.add(task);
            }
            for (int j = 0; j < plan.size(); j++) {
                FutureTask<JsonNode> f = pending.get(j);
                if (f == null) {
                    continue;
                }
                Key k = plan.get(j);
                if (pool == null) {
                    f.run();
                }
                try {
                    db.record(spec.name(), k.kind(), k.method(), k.seed(), k.lr(), out.resolve("runs").resolve(k.dirName()), f.get());
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
                writeReport(spec, db, out, command);
            }
            writeReport(spec, db, out, command);
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

    public static void writeReport(SuiteSpec spec, ResultsDb db, Path out, String command) {
        String md = SuiteReport.markdown(spec, db.rows(spec.name(), "main"), db.rows(spec.name(), "sweep"), command);
        AtomicFiles.writeString(out.resolve(REPORT), md);
    }
}
