package dev.moore4j.harness;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.config.TrainConfig;
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
        String dirName() {
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

    /** Runs what is not recorded yet; returns how many runs it did. A failed run is reported and the suite goes on. */
    public static int run(SuiteSpec spec, List<Key> plan, Path out, Map<String, Object> adapter, NDManager m, String command) {
        int done = 0;
        try (ResultsDb db = ResultsDb.open(out.resolve(DB))) {
            int i = 0;
            for (Key k : plan) {
                i++;
                if (db.has(spec.name(), k.kind(), k.method(), k.seed(), k.lr())) {
                    System.err.printf("suite %s: [%d/%d] %s recorded already%n", spec.name(), i, plan.size(), k.dirName());
                    continue;
                }
                Path dir = out.resolve("runs").resolve(k.dirName());
                System.err.printf("suite %s: [%d/%d] %s%n", spec.name(), i, plan.size(), k.dirName());
                try {
                    JsonNode summary = summaryOf(dir);
                    if (summary == null) {
                        TrainConfig cfg = spec.config(k.method(), k.seed(), k.lr(), k.kind().equals("sweep"), adapter);
                        summary = Run.train(cfg, dir, new Trainer.Options(true, 0), m);
                    }
                    db.record(spec.name(), k.kind(), k.method(), k.seed(), k.lr(), dir, summary);
                    done++;
                } catch (MooreException e) {
                    System.err.println("suite " + spec.name() + ": " + k.dirName() + " failed: " + e.getMessage());
                }
                writeReport(spec, db, out, command);
            }
            writeReport(spec, db, out, command);
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
