package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a suite invocation's planned runs stand ({@code moore suite … --plan}): recorded, finished but not yet
 * recorded, part-trained (the step of its last checkpoint) or to do, with the training time left estimated from the
 * speed of the method's recorded and part-trained runs. A matrix takes hours; this says how many, without starting anything.
 */
public final class SuiteProgress {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SuiteProgress() {}

    public enum State {
        RECORDED("recorded"), FINISHED("finished, recorded by the next invocation"), PARTIAL("part-trained"), TODO("to do");

        final String label;

        State(String label) {
            this.label = label;
        }
    }

    /**
     * One planned run.
     *
     * @param step        the step it has reached (its last checkpoint's; all of them once finished)
     * @param steps       the steps it trains in all
     * @param overall     its recorded overall score (NaN unless recorded)
     * @param secondsLeft training seconds left at the median speed of the method's recorded and part-trained runs; NaN
     *                    when the method has none yet
     */
    public record Entry(RunId key, State state, int step, int steps, double overall, double secondsLeft) {}

    /** The plan's runs as they stand in {@code out} (its database and run directories). */
    public static List<Entry> of(SuiteSpec spec, List<RunId> plan, Path out, ResultsDb db) {
        OverallScore score = spec.overallScore();
        Map<String, Double> recordedOverall = new HashMap<>();
        Map<String, List<Double>> secondsPerExample = new HashMap<>();
        if (db != null) {
            for (RunId.Kind kind : db.kinds(spec.name())) {
                for (ResultsDb.Row r : score.of(db.rows(spec.name(), kind))) {
                    recordedOverall.put(r.id().dirName(), r.overall());
                    if (r.examplesPerSecond() > 0) {
                        secondsPerExample.computeIfAbsent(r.method(), m -> new ArrayList<>()).add(1 / r.examplesPerSecond());
                    }
                }
            }
        }
        // a part-trained run times its method too (its checkpoint's seconds over its examples): a method's first run
        // gives an estimate while it trains
        for (RunId k : plan) {
            JsonNode st = lastState(out.resolve("runs").resolve(k.dirName()));
            if (!recordedOverall.containsKey(k.dirName()) && st.path("examples").asLong() > 0 && st.path("train_seconds").asDouble() > 0) {
                secondsPerExample.computeIfAbsent(k.method(), m -> new ArrayList<>()).add(st.path("train_seconds").asDouble() / st.path("examples").asLong());
            }
        }
        Map<String, Integer> singleSteps = null;
        List<Entry> entries = new ArrayList<>();
        for (RunId k : plan) {
            int steps;
            if (k.kind() instanceof RunId.Single single) {
                singleSteps = singleSteps != null ? singleSteps : Suite.singleTaskSteps(spec); // reads the tasks' data: once
                steps = singleSteps.get(single.task());
            } else if (k.kind() instanceof RunId.Stage stage) {
                steps = SuiteSequential.stageSteps(spec, stage);
            } else {
                steps = spec.protocol().maxSteps();
            }
            Path dir = out.resolve("runs").resolve(k.dirName());
            State state;
            int step;
            Double overall = recordedOverall.get(k.dirName());
            if (overall != null) {
                state = State.RECORDED;
                step = steps;
            } else if (Files.isRegularFile(dir.resolve("summary.json"))) {
                state = State.FINISHED;
                step = steps;
            } else {
                step = lastStep(dir);
                state = step > 0 ? State.PARTIAL : State.TODO;
            }
            List<Double> spe = secondsPerExample.get(k.method());
            double left = step >= steps ? 0 : spe == null ? Double.NaN : (steps - step) * spec.protocol().batchSize() * typicalSecondsPerExample(spe);
            entries.add(new Entry(k, state, step, steps, overall == null ? Double.NaN : overall, left));
        }
        return entries;
    }

    /** The step of a run directory's resumable checkpoint; 0 when it has none (or an unreadable one: it starts over). */
    static int lastStep(Path runDir) {
        return lastState(runDir).path("step").asInt(0);
    }

    private static JsonNode lastState(Path runDir) {
        Path f = runDir.resolve("last").resolve("trainer_state.json");
        try {
            return Files.isRegularFile(f) ? JSON.readTree(f.toFile()) : JSON.missingNode();
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    /**
     * The typical seconds per example of a method's runs: their median, leaving out those over 5 times the fastest (runs
     * recorded before a stopped step stopped counting as training time, {@code Trainer.countedSeconds}, read as slow).
     */
    static double typicalSecondsPerExample(List<Double> xs) {
        double fastest = xs.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double[] a = xs.stream().mapToDouble(Double::doubleValue).filter(x -> x <= 5 * fastest).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** The plan as text: counts, then every run not recorded yet, then the time left (side by side at {@code jobs}). */
    public static String text(String title, List<Entry> entries, int jobs) {
        StringBuilder sb = new StringBuilder(title).append('\n');
        Map<State, Integer> counts = new EnumMap<>(State.class);
        entries.forEach(e -> counts.merge(e.state(), 1, Integer::sum));
        sb.append(String.format(Locale.ROOT, "%d planned runs: %s%n", entries.size(), String.join(", ", Arrays.stream(State.values())
                .filter(counts::containsKey).map(s -> counts.get(s) + " " + s.label).toList())));
        double left = 0;
        List<String> unknown = new ArrayList<>();
        for (Entry e : entries) {
            if (e.state() == State.RECORDED) {
                continue;
            }
            String at = e.state() == State.PARTIAL ? String.format(Locale.ROOT, " at step %d of %d", e.step(), e.steps()) : "";
            String est = e.state() == State.FINISHED ? ""
                    : Double.isNaN(e.secondsLeft()) ? "; no run of this method has timed it yet"
                    : String.format(Locale.ROOT, "; about %s of training left", duration(e.secondsLeft()));
            sb.append(String.format(Locale.ROOT, "  %-40s %s%s%s%n", e.key().dirName(), e.state().label, at, est));
            if (Double.isNaN(e.secondsLeft())) {
                unknown.add(e.key().dirName());
            } else {
                left += e.secondsLeft();
            }
        }
        sb.append(String.format(Locale.ROOT, "Training left: about %s in all%s, at the speed of each method's recorded and part-trained runs; evaluation not "
                + "included.%n", duration(left), jobs > 1 ? String.format(Locale.ROOT, ", about %s with %d jobs side by side", duration(left / jobs), jobs) : ""));
        if (!unknown.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "Not counted: %d runs of methods that no run has timed yet.%n", unknown.size()));
        }
        return sb.toString();
    }

    static String duration(double seconds) {
        long m = Math.round(seconds / 60);
        return m < 60 ? m + " min" : String.format(Locale.ROOT, "%d h %02d min", m / 60, m % 60);
    }
}
