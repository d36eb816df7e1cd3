package dev.moore4j.harness;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.io.DirLock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * One invocation of a suite on one output directory: what it plans, running the plan (in this process or as
 * child processes), the tables and page, and the compact export. {@code moore suite} parses its options into a
 * session and calls one of these.
 */
public final class SuiteSession {
    /** Which pass of the suite an invocation runs. */
    public enum Pass {
        /** Every method at every seed at its rate. */
        MAIN,
        /** Every method over its rate grid at the first seed (extended at a grid's edge). */
        SWEEP,
        /** Each method on each task alone, for the conflict table. */
        CONFLICT,
        /** Each method through the suite's orders of stages, one stage continuing the adapter of the one before. */
        SEQUENTIAL
    }

    private final SuiteSpec spec;
    private final Path dir;
    private final Pass pass;
    private final List<String> methods;
    private final List<Long> seeds;
    private final double lr;
    private final String command;

    /**
     * @param methods the methods to run; null for the pass's own (the suite's, its sweep's, or the conflict pass's)
     * @param seeds   null for the suite's
     * @param lr      one rate for every adapter method when {@code > 0}
     * @param command the command line, as the tables quote it
     */
    public SuiteSession(SuiteSpec spec, Path dir, Pass pass, List<String> methods, List<Long> seeds, double lr, String command) {
        this.spec = spec;
        this.dir = dir;
        this.pass = pass;
        this.methods = methods != null ? methods : switch (pass) {
            case MAIN -> spec.methods();
            case SWEEP -> spec.sweepMethods();
            case CONFLICT, SEQUENTIAL -> withDb(db -> Suite.conflictMethods(spec, db));
        };
        this.methods.forEach(SuiteSpec::variant);
        this.seeds = seeds != null ? seeds : spec.seeds();
        this.lr = lr;
        this.command = command;
    }

    public List<String> methods() {
        return methods;
    }

    public List<Long> seeds() {
        return seeds;
    }

    public SuiteSpec spec() {
        return spec;
    }

    private Path db() {
        return dir.resolve(Suite.DB);
    }

    /** Calls {@code f} with the directory's database, or with null where it has none yet. */
    private <T> T withDb(java.util.function.Function<ResultsDb, T> f) {
        try (ResultsDb db = Files.isRegularFile(db()) ? ResultsDb.open(db()) : null) {
            return f.apply(db);
        }
    }

    private ResultsDb existingDb() {
        if (!Files.isRegularFile(db())) {
            throw new MooreException(db() + ": no results database here");
        }
        return ResultsDb.open(db());
    }

    /** The runs this invocation would do now, in order. */
    public List<RunId> plan() {
        return withDb(db -> switch (pass) {
            case SWEEP -> Suite.sweepPlan(spec, methods, seeds.get(0), db);
            case CONFLICT -> Suite.conflictPlan(spec, methods, seeds, db);
            case SEQUENTIAL -> SuiteSequential.plan(spec, methods, seeds, db);
            case MAIN -> Suite.plan(spec, methods, seeds, lr, db);
        });
    }

    /** The plan as {@code --plan} prints it: each run's state and the training time left, for {@code jobs} side by side. */
    public String planText(int jobs) {
        String note = pass == Pass.SWEEP ? "\n(a method whose best rate lands on its grid's edge adds the next grid point when its rates are done)" : "";
        List<RunId> plan = plan();
        String text = withDb(db -> SuiteProgress.text(command + note, SuiteProgress.of(spec, plan, dir, db), jobs));
        return text + DirLock.holder(dir).map(h -> "Running now in " + dir + ": " + h + ".\n").orElse("");
    }

    /** Trains the one planned run of this directory name, recording nothing (a child process of {@link #run}). */
    public void trainOne(String dirName, Map<String, Object> adapter, NDManager m) {
        RunId k = plan().stream().filter(p -> p.dirName().equals(dirName)).findFirst()
                .orElseThrow(() -> new MooreException("--only " + dirName + ": not a run of this suite's plan"));
        Suite.inProcess(spec, adapter, m, seeds).train(k, dir.resolve("runs").resolve(k.dirName()));
    }

    /** Where a run that is done leaves the session. */
    public record Outcome(int done, int planned) {}

    /**
     * Runs what the plan has not recorded, {@code jobs} at a time: on this process's manager for one job, else through
     * {@code child} (given the compute threads of each). The sweep plans again after each pass, since a best rate at a
     * grid's edge adds the next point.
     */
    public Outcome run(int jobs, int threads, Map<String, Object> adapter, Supplier<NDManager> manager, IntFunction<Suite.RunTrainer> child,
                       Suite.PageWriter page) {
        int done = 0;
        while (true) {
            List<RunId> plan = plan();
            int now;
            if (jobs > 1) {
                now = Suite.run(spec, plan, dir, jobs, child.apply(Math.max(1, threads / jobs)), command, page);
            } else {
                try (NDManager m = manager.get()) {
                    now = Suite.run(spec, plan, dir, 1, Suite.inProcess(spec, adapter, m, seeds), command, page);
                }
            }
            done += now;
            if (pass != Pass.SWEEP || now == 0 || plan().size() == plan.size()) {
                return new Outcome(done, plan.size());
            }
        }
    }

    /** Writes the tables and page again from the database alone. */
    public void report(Suite.PageWriter page) {
        try (ResultsDb db = existingDb()) {
            Suite.writeReport(spec, db, dir, command, page);
        }
    }

    /** The tables as last written. */
    public String tables() {
        try {
            return Files.readString(dir.resolve(Suite.REPORT));
        } catch (IOException e) {
            throw new MooreException(dir.resolve(Suite.REPORT) + ": cannot read: " + e.getMessage());
        }
    }

    /**
     * The compact copy ({@link ResultsDb#export}): without the side tables of main runs at a rate the sweep no longer
     * selects and of single-task runs on tasks the overall leaves out; routing of {@code routing}'s methods only (null: all).
     */
    public void export(Path file, List<String> routing) {
        if (routing != null) {
            routing.forEach(SuiteSpec::variant); // a misspelt method names itself rather than silently dropping every analysis
        }
        try (ResultsDb db = existingDb()) {
            OverallScore score = spec.overallScore();
            List<ResultsDb.Row> unread = new ArrayList<>(Suite.superseded(score.of(db.rows(spec.name(), RunId.MAIN)),
                    score.of(db.rows(spec.name(), RunId.SWEEP))));
            spec.overallExcludes().forEach(t -> unread.addAll(db.rows(spec.name(), new RunId.Single(t)))); // no conflict row reads them
            db.export(file, unread, routing == null ? null : Set.copyOf(routing));
        }
    }
}
