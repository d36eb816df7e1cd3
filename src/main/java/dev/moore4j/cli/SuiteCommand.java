package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.Suite;
import dev.moore4j.harness.SuiteSession;
import dev.moore4j.harness.SuiteSpec;
import dev.moore4j.report.HtmlReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code moore suite}: the comparison harness (see {@link Suite}). */
@Command(name = "suite", description = {"Run a comparison suite (methods x seeds, same protocol for all) into OUT/results.sqlite and the ranked "
        + "tables OUT/results.md, with the HTML report (charts) OUT/report.html; rerun to resume.", "A suite is a built-in name (nlu-mtl, csr-mtl, demo; --show NAME prints its file) or a suite "
        + "file: YAML with name, title, model, tasks, protocol, methods, seeds, rates and grids (see the built-ins)."})
public final class SuiteCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", arity = "0..1", description = "Suite: nlu-mtl, csr-mtl, demo, or a suite file (.yaml/.json).")
    String name;

    @Option(names = "--show", paramLabel = "NAME", description = "Print a built-in suite's file (a starting point for your own) and exit.")
    String show;

    // commas inside an entry's brackets (lora[r=16,alpha=32]) do not split it
    @Option(names = "--methods", split = ",(?![^\\[]*\\])", splitSynopsisLabel = ",",
            description = "Methods to run, comma-separated (default: all of the suite's).")
    List<String> methods;

    @Option(names = "--seeds", split = ",", description = "Seeds (default: the suite's, 1,2,3).")
    List<Long> seeds;

    @Option(names = "--out", description = "Output directory (default: runs/suite-NAME).")
    Path out;

    @Option(names = "--sweep", description = "Run the learning-rate sweep instead of the matrix: every method over its grid at the first seed, "
            + "scored on a validation split carved from the training data (never the evaluation split); a best rate at a grid's edge gets the "
            + "next point too. The matrix then runs each method at its best rate.")
    boolean sweep;

    @Option(names = "--conflict", description = "Train each task alone for its share of the multi-task steps (default methods: heads, full, lora, "
            + "moore and the two best mixtures of the main table), for the conflict table.")
    boolean conflict;

    @Option(names = "--sequential", description = "Run the suite's sequential protocol (its 'sequential:' orders of stages): each stage "
            + "continues the adapter of the stage before on its own tasks (train --from, with each replay setting), and every task seen so far is "
            + "evaluated after it (default methods: those of --conflict); tables: the stage × task matrix, average accuracy, forgetting, forward transfer.")
    boolean sequential;

    @Option(names = "--lr", description = "One rate for every adapter method, instead of each one's own (full fine-tuning and heads keep theirs).")
    double lr;

    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable; with a single method).")
    List<String> set = new ArrayList<>();

    @Option(names = "--plan", description = "Only print what this invocation would run: each planned run recorded, finished, part-trained (at "
            + "its checkpoint's step) or to do, and the training time left at the speed of each method's recorded and part-trained runs. Starts nothing.")
    boolean planOnly;

    @Option(names = "--report", description = "Only regenerate OUT/results.md and OUT/report.html from the database.")
    boolean reportOnly;

    @Option(names = "--export", paramLabel = "FILE", description = "Only write a compact copy of OUT/results.sqlite to FILE, for publishing or "
            + "sharing: predictions as digit strings, curves and routing rounded to 4 significant digits, the sweep's predictions, the curves "
            + "of all but the main runs, the routing of all but a method's first seed, and the predictions, curves and routing of main runs at a rate "
            + "the sweep no longer selects and of single-task runs on tasks left out of overall dropped. Same tables and report; a suite resumes from it.")
    Path export;

    @Option(names = "--routing", split = ",(?![^\\[]*\\])", paramLabel = "METHOD", description = "With --export: keep the routing analyses "
            + "of these methods only (default: every method's; each is a few hundred kilobytes). The copy's report draws these.")
    List<String> routing;

    @Option(names = "--jobs", description = "Runs side by side, each its own process with --threads/J compute threads (its log in OUT/logs/). "
            + "Default: ${DEFAULT-VALUE}.")
    int jobs = 1;

    @Option(names = "--only", hidden = true, description = "Internal (--jobs): train the one planned run of this directory name, record nothing.")
    String only;

    @Override
    public void run() {
        if (show != null) {
            System.out.print(SuiteSpec.builtInText(show));
            return;
        }
        if (name == null) {
            throw new MooreException("suite: give a suite (nlu-mtl, csr-mtl, demo or a suite file), or --show NAME");
        }
        if ((sweep ? 1 : 0) + (conflict ? 1 : 0) + (sequential ? 1 : 0) > 1) {
            throw new MooreException("suite: --sweep, --conflict and --sequential are separate passes; run one, then another");
        }
        if (routing != null && export == null) {
            throw new MooreException("suite: --routing chooses what --export keeps; give it with --export FILE");
        }
        SuiteSpec spec = SuiteSpec.resolve(name);
        Path dir = out != null ? out : Path.of("runs", "suite-" + spec.name());
        SuiteSession.Pass pass = sweep ? SuiteSession.Pass.SWEEP : conflict ? SuiteSession.Pass.CONFLICT
                : sequential ? SuiteSession.Pass.SEQUENTIAL : SuiteSession.Pass.MAIN;
        SuiteSession session = new SuiteSession(spec, dir, pass, methods, seeds, lr, commandLine(dir));
        List<String> ms = session.methods();
        if (!set.isEmpty() && ms.size() != 1) {
            throw new MooreException("--set applies to one method's hyperparameters; give exactly one --methods with it");
        }
        Map<String, Object> adapter = set.isEmpty() ? Map.of() : Methods.parseAssignments(SuiteSpec.variant(ms.get(0)).getKey(), set);
        if (export != null) {
            session.export(export, routing);
            System.err.printf("suite %s: %s written (%,d bytes)%n", spec.name(), export, export.toFile().length());
        } else if (planOnly) {
            System.out.print(session.planText(jobs));
        } else if (only != null) {
            try (NDManager m = common.manager()) {
                session.trainOne(only, adapter, m);
            }
        } else {
            if (reportOnly) {
                session.report(HtmlReport::writeSuite);
            } else {
                Common.range("--jobs", jobs, 1, 256);
                var outcome = session.run(jobs, common.threads(), adapter, common::manager,
                        each -> (k, runDir) -> inChildProcess(k, runDir, dir, ms, session.seeds(), each), HtmlReport::writeSuite);
                System.err.printf("suite %s: %d runs done now, %d planned; tables in %s%n", spec.name(), outcome.done(), outcome.planned(),
                        dir.resolve(Suite.REPORT));
            }
            System.out.print(session.tables());
        }
    }

    /** The command line as the tables quote it. */
    private String commandLine(Path dir) {
        return "moore suite " + name + (sweep ? " --sweep" : "") + (conflict ? " --conflict" : "") + (sequential ? " --sequential" : "")
                + (methods != null ? " --methods " + String.join(",", methods) : "")
                + (seeds != null ? " --seeds " + String.join(",", seeds.stream().map(String::valueOf).toList()) : "") + (lr > 0 ? " --lr " + lr : "")
                + " --out " + dir;
    }

    /**
     * One run in a child JVM (same Java, JVM options and class path; the environment, allocator included,
     * is inherited) with {@code threads} compute threads. Each run is seeded by itself alone, so it gives
     * the numbers it gives one after the other; a process of its own keeps libtorch's global state (the
     * random generator, the thread pool) to itself.
     */
    private JsonNode inChildProcess(RunId k, Path runDir, Path out, List<String> ms, List<Long> ss, int threads) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "suite", name, "--only", k.dirName(),
                "--out", out.toString(), "--threads", Integer.toString(threads), "--methods", String.join(",", ms),
                "--seeds", String.join(",", ss.stream().map(String::valueOf).toList())));
        if (sweep) {
            cmd.add("--sweep");
        }
        if (conflict) {
            cmd.add("--conflict");
        }
        if (sequential) {
            cmd.add("--sequential");
        }
        if (lr > 0) {
            cmd.addAll(List.of("--lr", Double.toString(lr)));
        }
        set.forEach(a -> cmd.addAll(List.of("--set", a)));
        Path log = out.resolve("logs").resolve(k.dirName() + ".log");
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new MooreException("exited with status " + rc + "; its log: " + log);
            }
            return Common.JSON.readTree(runDir.resolve("summary.json").toFile());
        } catch (IOException e) {
            throw new MooreException("cannot run: " + e.getMessage() + " (log: " + log + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MooreException("interrupted");
        }
    }
}
