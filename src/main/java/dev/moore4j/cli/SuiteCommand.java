package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.Suite;
import dev.moore4j.harness.SuiteSpec;

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
@Command(name = "suite", description = "Run a comparison suite (methods x seeds, same protocol for all) into OUT/results.sqlite and the ranked tables OUT/results.md; rerun to resume.")
public final class SuiteCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", description = "Suite: nlu-mtl, csr-mtl or demo.")
    String name;

    @Option(names = "--methods", split = ",", description = "Methods to run (default: all of the suite's).")
    List<String> methods;

    @Option(names = "--seeds", split = ",", description = "Seeds (default: the suite's, 1,2,3).")
    List<Long> seeds;

    @Option(names = "--out", description = "Output directory (default: runs/suite-NAME).")
    Path out;

    @Option(names = "--sweep", description = "Run the learning-rate sweep (validation split carved from the training data) instead of the matrix.")
    boolean sweep;

    @Option(names = "--lr", description = "Shared adapter learning rate (default: the suite's, chosen by its sweep).")
    double lr;

    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable; with a single method).")
    List<String> set = new ArrayList<>();

    @Option(names = "--report", description = "Only regenerate OUT/results.md from the database.")
    boolean reportOnly;

    @Option(names = "--jobs", description = "Runs side by side, each its own process with --threads/J compute threads (its log in OUT/logs/). "
            + "Default: ${DEFAULT-VALUE}.")
    int jobs = 1;

    @Option(names = "--only", hidden = true, description = "Internal (--jobs): train the one planned run of this directory name, record nothing.")
    String only;

    @Override
    public void run() {
        SuiteSpec spec = SuiteSpec.get(name);
        List<String> ms = methods != null ? methods : sweep ? spec.sweepMethods() : spec.methods();
        ms.forEach(SuiteSpec::variant);
        List<Long> ss = seeds != null ? seeds : spec.seeds();
        if (!set.isEmpty() && ms.size() != 1) {
            throw new MooreException("--set applies to one method's hyperparameters; give exactly one --methods with it");
        }
        Map<String, Object> adapter = set.isEmpty() ? Map.of() : Methods.parseAssignments(SuiteSpec.variant(ms.get(0)).getKey(), set);
        Path dir = out != null ? out : Path.of("runs", "suite-" + name);
        String command = "moore suite " + name + (sweep ? " --sweep" : "") + (methods != null ? " --methods " + String.join(",", ms) : "")
                + (seeds != null ? " --seeds " + String.join(",", ss.stream().map(String::valueOf).toList()) : "") + (lr > 0 ? " --lr " + lr : "")
                + " --out " + dir;
        if (reportOnly) {
            if (!Files.isRegularFile(dir.resolve(Suite.DB))) {
                throw new MooreException(dir.resolve(Suite.DB) + ": no results database here");
            }
            try (ResultsDb db = ResultsDb.open(dir.resolve(Suite.DB))) {
                Suite.writeReport(spec, db, dir, command);
            }
        } else {
            Common.range("--jobs", jobs, 1, 256);
            List<Suite.Key> plan = Suite.plan(spec, ms, ss, sweep, lr);
            if (only != null) {
                Suite.Key k = plan.stream().filter(p -> p.dirName().equals(only)).findFirst()
                        .orElseThrow(() -> new MooreException("--only " + only + ": not a run of this suite's plan"));
                try (NDManager m = common.manager()) {
                    Suite.inProcess(spec, adapter, m).train(k, dir.resolve("runs").resolve(k.dirName()));
                }
                return;
            }
            int done;
            if (jobs > 1) {
                int each = Math.max(1, common.threads() / jobs);
                done = Suite.run(spec, plan, dir, jobs, (k, runDir) -> inChildProcess(k, runDir, dir, ms, ss, each), command);
            } else {
                try (NDManager m = common.manager()) {
                    done = Suite.run(spec, plan, dir, 1, Suite.inProcess(spec, adapter, m), command);
                }
            }
            System.err.printf("suite %s: %d runs done now, %d planned; tables in %s%n", name, done, plan.size(), dir.resolve(Suite.REPORT));
        }
        try {
            System.out.print(Files.readString(dir.resolve(Suite.REPORT)));
        } catch (IOException e) {
            throw new MooreException(dir.resolve(Suite.REPORT) + ": cannot read: " + e.getMessage());
        }
    }

    /**
     * One run in a child JVM (same Java, JVM options and class path; the environment, allocator included,
     * is inherited) with {@code threads} compute threads. Each run is seeded by itself alone, so it gives
     * the numbers it gives one after the other; a process of its own keeps libtorch's global state (the
     * random generator, the thread pool) to itself.
     */
    private JsonNode inChildProcess(Suite.Key k, Path runDir, Path out, List<String> ms, List<Long> ss, int threads) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "suite", name, "--only", k.dirName(),
                "--out", out.toString(), "--threads", Integer.toString(threads), "--methods", String.join(",", ms),
                "--seeds", String.join(",", ss.stream().map(String::valueOf).toList())));
        if (sweep) {
            cmd.add("--sweep");
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
