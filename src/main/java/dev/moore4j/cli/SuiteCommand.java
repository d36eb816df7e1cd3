package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

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
            try (NDManager m = common.manager()) {
                List<Suite.Key> plan = Suite.plan(spec, ms, ss, sweep, lr);
                int done = Suite.run(spec, plan, dir, adapter, m, command);
                System.err.printf("suite %s: %d runs done now, %d planned; tables in %s%n", name, done, plan.size(), dir.resolve(Suite.REPORT));
            }
        }
        try {
            System.out.print(Files.readString(dir.resolve(Suite.REPORT)));
        } catch (IOException e) {
            throw new MooreException(dir.resolve(Suite.REPORT) + ": cannot read: " + e.getMessage());
        }
    }
}
