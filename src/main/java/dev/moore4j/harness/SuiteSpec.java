package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;
import dev.moore4j.config.Schedule;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.ObjectFiles;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A comparison protocol, read from a suite file (YAML or JSON): the model, the tasks, the same data, steps,
 * batch, schedule and evaluation for every method, the methods, the seeds, each method's learning rate until
 * the suite's own sweep has chosen one, and the sweep's rate grids. The built-in suites are such files in the
 * jar ({@code moore suite --show NAME} prints them); a user's file has the same fields, with task spec files
 * given relative to the suite file.
 *
 * <p>Rates and grids are looked up by the method entry as written ({@code goat[scale=paper]}), then by the
 * method's name, then by its family: {@code full}, {@code heads} or {@code adapter} (every other method).
 *
 * @param maxSteps  optimiser steps of every multi-task run
 * @param evalEvery evaluation and checkpoint interval (checkpoints make interrupted runs resumable); 0: at the end only
 * @param checkpointEvery checkpoint interval without evaluation (0: at evaluations only); the score is the last step's
 *     either way, so a suite whose evaluation set is large checkpoints often and evaluates once
 * @param headLr    the task heads' rate in every run; heads-only runs train at their own rate instead
 * @param validation training examples per task held out for the sweep, which never reads the evaluation split
 * @param analysisExamples evaluation examples per task that the routing analysis of a MoORE or mixture main run reads (at the
 *     suite's first seed; 0: no analysis)
 * @param seedStd    the overall score's standard deviation over seeds, as measured and written in the file (NaN: not
 *                   given); the demo prints it beside the differences it shows
 * @param overallExcludes tasks kept in their columns but left out of the overall score ({@link OverallScore})
 */
public record SuiteSpec(String name, String title, String model, List<String> tasks, int maxTrain, int maxEval, int maxLength, int batchSize,
                        int maxSteps, int evalEvery, int checkpointEvery, String schedule, double warmup, double headLr, boolean oblivion, int oblivionExamples,
                        int validation, int analysisExamples, List<String> methods, List<Long> seeds, Map<String, Double> rates, Map<String, List<Double>> grids,
                        List<String> sweepMethods, double seedStd, List<String> overallExcludes) {
    /** Every method of the registry, in its order, and GOAT's second scale choice. */
    static final List<String> ALL = Stream.concat(Methods.names().stream(), Stream.of("goat[scale=paper]")).toList();
    public static final List<String> BUILT_IN = List.of("nlu-mtl", "csr-mtl", "demo");
    /** The routing analysis's evaluation examples per task unless the protocol says otherwise. */
    public static final int DEFAULT_ANALYSIS_EXAMPLES = 200;
    /** The keys of {@code rates:} and {@code grids:}: the rate families of the methods' kinds. */
    static final Set<String> FAMILIES = Stream.of(Method.Kind.values()).map(Method.Kind::rateFamily).collect(Collectors.toUnmodifiableSet());
    private static final Set<String> TOP = Set.of("name", "title", "model", "tasks", "protocol", "methods", "seeds", "rates", "grids", "sweep_methods",
            "seed_std", "overall_excludes");
    private static final Set<String> PROTOCOL = Set.of("train_examples", "eval_examples", "max_length", "batch_size", "steps", "eval_every", "checkpoint_every",
            "schedule", "warmup", "head_lr", "oblivion", "oblivion_examples", "validation_examples",
            "analysis_examples");

    public SuiteSpec {
        tasks = List.copyOf(tasks);
        methods = List.copyOf(methods);
        seeds = List.copyOf(seeds);
        rates = Map.copyOf(rates);
        grids = Map.copyOf(grids);
        sweepMethods = List.copyOf(sweepMethods);
        overallExcludes = List.copyOf(overallExcludes);
    }

    /** Which tasks the overall score averages. */
    public OverallScore overallScore() {
        return new OverallScore(overallExcludes);
    }

    /**
     * A suite entry: a method name, optionally with fixed hyperparameters, {@code goat[scale=paper]} or
     * {@code lora[r=16,alpha=32]}; returns the method name and the overrides.
     */
    public static Map.Entry<String, Map<String, Object>> variant(String entry) {
        int open = entry.indexOf('[');
        if (open < 0) {
            Methods.get(entry);
            return Map.entry(entry, Map.of());
        }
        if (!entry.endsWith("]")) {
            throw new MooreException("suite method '" + entry + "': expected NAME[key=value,…]");
        }
        String method = entry.substring(0, open);
        String inner = entry.substring(open + 1, entry.length() - 1);
        Map<String, Object> fixed = Methods.parseAssignments(method, inner.isBlank() ? List.of() : List.of(inner.split(",")));
        Methods.config(method, fixed, "suite method '" + entry + "'"); // an unknown key or a refused value fails when the suite is read
        return Map.entry(method, fixed);
    }

    /** full, heads or adapter: the rate family of the entry's method's kind. */
    public static String family(String entry) {
        return Methods.get(variant(entry).getKey()).kind().rateFamily();
    }

    /** A built-in suite's name, or a suite file. */
    public static SuiteSpec resolve(String nameOrFile) {
        if (BUILT_IN.contains(nameOrFile)) {
            return parse(readTree(builtInText(nameOrFile), "built-in suite " + nameOrFile), "built-in suite " + nameOrFile, null);
        }
        Path file = Path.of(nameOrFile);
        if (!Files.exists(file)) {
            throw new MooreException("unknown suite '" + nameOrFile + "': neither a built-in (" + String.join(", ", BUILT_IN)
                    + ") nor a suite file");
        }
        return parse(ObjectFiles.read(file, "suite"), file.toString(), file.toAbsolutePath().getParent());
    }

    public static SuiteSpec get(String name) {
        return resolve(name);
    }

    /** A built-in suite's file, comments included, as shipped in the jar. */
    public static String builtInText(String name) {
        if (!BUILT_IN.contains(name)) {
            throw new MooreException("unknown built-in suite '" + name + "' (built-in: " + String.join(", ", BUILT_IN) + ")");
        }
        try (InputStream in = SuiteSpec.class.getResourceAsStream("/dev/moore4j/suites/" + name + ".yaml")) {
            if (in == null) {
                throw new MooreException("built-in suite '" + name + "' is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new MooreException("built-in suite '" + name + "': " + e.getMessage());
        }
    }

    private static JsonNode readTree(String yaml, String source) {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new MooreException(source + ": cannot parse: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Reads a suite from its tree; {@code base} resolves task spec files (null: built-in tasks only). Every error names the field. */
    static SuiteSpec parse(JsonNode n, String source, Path base) {
        Fields f = new Fields(n, source, "", TOP);
        String name = f.text("name", null);
        String title = f.text("title", name);
        String model = f.text("model", null);
        List<String> tasks = new ArrayList<>();
        for (String t : f.texts("tasks", null)) {
            tasks.add(task(t, base, source));
        }
        List<String> taskNames;
        try {
            taskNames = TaskRegistry.resolveAll(tasks).stream().map(TaskSpec::name).toList(); // every task readable now
        } catch (MooreException e) {
            throw e.getMessage().startsWith(source) ? e : new MooreException(source + ": field 'tasks': " + e.getMessage());
        }
        Fields p = new Fields(f.object("protocol"), source, "protocol.", PROTOCOL);
        int maxTrain = p.integer("train_examples", 0, 0);
        int maxEval = p.integer("eval_examples", 0, 0);
        int maxLength = p.integer("max_length", 128, 8);
        int batch = p.integer("batch_size", 16, 1);
        int steps = p.integer("steps", null, 1);
        int evalEvery = p.integer("eval_every", 0, 0);
        int checkpointEvery = p.integer("checkpoint_every", 0, 0);
        String schedule = p.text("schedule", "constant");
        if (!Schedule.NAMES.contains(schedule)) {
            throw p.bad("schedule", String.join(", ", Schedule.NAMES));
        }
        double warmup = p.number("warmup", 0.1);
        if (warmup > 1) {
            throw p.bad("warmup", "a fraction in [0, 1]");
        }
        double headLr = p.number("head_lr", 2e-3);
        boolean oblivion = p.bool("oblivion", true);
        int oblivionExamples = p.integer("oblivion_examples", 0, 0);
        int validation = p.integer("validation_examples", 0, 0);
        int analysis = p.integer("analysis_examples", DEFAULT_ANALYSIS_EXAMPLES, 0);
        List<String> methods = f.has("methods") ? f.texts("methods", null) : ALL;
        for (String m : methods) {
            try {
                variant(m);
            } catch (MooreException e) {
                throw new MooreException(source + ": field 'methods': " + e.getMessage());
            }
        }
        List<Long> seeds = f.longs("seeds", List.of(1L));
        once(methods, "methods", source);
        once(seeds, "seeds", source);
        Map<String, Double> rates = new TreeMap<>();
        Fields r = new Fields(f.object("rates"), source, "rates.", null);
        for (String k : r.keys()) {
            rates.put(checkKey(k, source, "rates"), r.number(k, null));
        }
        Map<String, List<Double>> grids = new TreeMap<>();
        Fields g = new Fields(f.object("grids"), source, "grids.", null);
        for (String k : g.keys()) {
            grids.put(checkKey(k, source, "grids"), g.numbers(k));
        }
        List<String> sweepMethods = f.has("sweep_methods") ? f.texts("sweep_methods", null) : methods;
        once(sweepMethods, "sweep_methods", source);
        double seedStd = f.has("seed_std") ? f.number("seed_std", null) : Double.NaN;
        List<String> excludes = f.has("overall_excludes") ? f.texts("overall_excludes", null) : List.of();
        for (String t : excludes) {
            if (!taskNames.contains(t)) {
                throw new MooreException(source + ": field 'overall_excludes': '" + t + "' is not one of the suite's tasks (" + String.join(", ", taskNames) + ")");
            }
        }
        if (excludes.containsAll(taskNames)) {
            throw new MooreException(source + ": field 'overall_excludes' leaves no task in the overall score");
        }
        SuiteSpec s = new SuiteSpec(name, title, model, tasks, maxTrain, maxEval, maxLength, batch, steps, evalEvery, checkpointEvery, schedule, warmup, headLr, oblivion,
                oblivionExamples, validation, analysis, methods, seeds, rates, grids, sweepMethods, seedStd, excludes);
        for (String m : methods) {
            if (s.rateOrNull(m) == null) {
                throw new MooreException(source + ": no rate for method '" + m + "': give rates." + family(m) + " or rates." + variant(m).getKey());
            }
            try {
                s.config(m, seeds.get(0), s.rateFor(m), false, Map.of()).validate(); // a protocol TrainConfig refuses fails here, naming its field
            } catch (MooreException e) {
                throw new MooreException(source + ": protocol of method '" + m + "': " + e.getMessage());
            }
        }
        return s;
    }

    /** A list field whose entries must differ: a method or seed given twice would name one run twice. */
    private static void once(List<?> values, String field, String source) {
        Set<Object> seen = new java.util.HashSet<>();
        for (Object v : values) {
            if (!seen.add(v)) {
                throw new MooreException(source + ": field '" + field + "': " + v + " is listed twice");
            }
        }
    }

    private static String checkKey(String key, String source, String field) {
        if (!FAMILIES.contains(key)) {
            try {
                variant(key);
            } catch (MooreException e) {
                throw new MooreException(source + ": field '" + field + "." + key + "': neither adapter, full, heads nor a method (" + e.getMessage() + ")");
            }
        }
        return key;
    }

    private static String task(String t, Path base, String source) {
        boolean file = t.matches(".*\\.(json|ya?ml)$");
        if (!file) {
            return t;
        }
        Path p = base != null ? base.resolve(t).normalize() : Path.of(t);
        if (!Files.isRegularFile(p)) {
            throw new MooreException(source + ": field 'tasks': task spec file " + p + " not found (paths are relative to the suite file)");
        }
        return p.toString();
    }

    /** The rate of a main run before any sweep: by entry, method name, then family. */
    public double rateFor(String entry) {
        Double r = rateOrNull(entry);
        if (r == null) {
            throw new MooreException("suite " + name + ": no rate for method '" + entry + "'");
        }
        return r;
    }

    private Double rateOrNull(String entry) {
        return lookup(rates, entry);
    }

    /** The sweep grid of a method: by entry, method name, then family; empty when none is given. */
    public List<Double> gridFor(String entry) {
        List<Double> g = lookup(grids, entry);
        return g != null ? g : List.of();
    }

    private static <T> T lookup(Map<String, T> m, String entry) {
        T v = m.get(entry);
        if (v == null) {
            v = m.get(variant(entry).getKey());
        }
        return v != null ? v : m.get(family(entry));
    }

    /** The training config of one run; {@code sweep} evaluates on the carved validation split and skips the oblivion figure. */
    public TrainConfig config(String entry, long seed, double lr, boolean sweep, Map<String, Object> extra) {
        return config(entry, seed, lr, sweep, extra, tasks, maxSteps);
    }

    /** As {@link #config(String, long, double, boolean, Map)}, on other tasks for another number of steps (a single-task run). */
    public TrainConfig config(String entry, long seed, double lr, boolean sweep, Map<String, Object> extra, List<String> onTasks, int steps) {
        var v = variant(entry);
        String method = v.getKey();
        Map<String, Object> adapter = new LinkedHashMap<>(v.getValue());
        if (extra != null) {
            adapter.putAll(extra);
        }
        // heads only trains nothing but the heads: its rate is theirs
        TrainConfig.Builder b = TrainConfig.builder().model(model).method(method).tasks(onTasks).maxTrainExamples(maxTrain).maxEvalExamples(maxEval)
                .maxLength(maxLength).batchSize(batchSize).maxSteps(steps).evalEvery(Math.min(evalEvery, steps)).checkpointEvery(checkpointEvery).lr(lr)
                .headLr(Methods.get(method).kind() == Method.Kind.HEADS ? lr : headLr).schedule(schedule).warmup(warmup).clipNorm(1.0).seed(seed)
                .oblivion(oblivion).oblivionExamples(oblivionExamples).adapter(adapter);
        if (sweep) {
            b.validationExamples(validation).maxEvalExamples(0).oblivion(false);
        }
        return b.build().validate();
    }

    /** A copy with other protocol sizes (the demo's options). */
    public SuiteSpec withSizes(String model, int maxTrain, int maxEval, int maxSteps, int oblivionExamples, List<Long> seeds) {
        return new SuiteSpec(name, title, model, tasks, maxTrain, maxEval, maxLength, batchSize, maxSteps, evalEvery, checkpointEvery, schedule, warmup, headLr, oblivion,
                oblivionExamples, validation, analysisExamples, methods, seeds, rates, grids, sweepMethods, seedStd, overallExcludes);
    }

    /** Reads the fields of one object, refusing unknown ones and wrong types with the field's full name. */
    private record Fields(JsonNode n, String source, String prefix, Set<String> allowed) {
        Fields {
            if (n != null && !n.isObject()) {
                throw new MooreException(source + ": field '" + prefix.replaceAll("\\.$", "") + "' must be a mapping");
            }
            if (n != null && allowed != null) {
                for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!allowed.contains(k)) {
                        throw new MooreException(source + ": unknown field '" + prefix + k + "' (fields here: " + String.join(", ", new TreeSet<>(allowed)) + ")");
                    }
                }
            }
        }

        List<String> keys() {
            List<String> out = new ArrayList<>();
            if (n != null) {
                n.fieldNames().forEachRemaining(out::add);
            }
            return out;
        }

        boolean has(String k) {
            return n != null && n.has(k) && !n.get(k).isNull();
        }

        JsonNode object(String k) {
            return has(k) ? n.get(k) : null;
        }

        private JsonNode need(String k) {
            if (!has(k)) {
                throw new MooreException(source + ": missing field '" + prefix + k + "'");
            }
            return n.get(k);
        }

        private MooreException bad(String k, String want) {
            return new MooreException(source + ": field '" + prefix + k + "' must be " + want + ", got " + n.get(k));
        }

        String text(String k, String dflt) {
            if (!has(k) && dflt != null) {
                return dflt;
            }
            JsonNode v = need(k);
            if (!v.isTextual() || v.asText().isBlank()) {
                throw bad(k, "a non-empty string");
            }
            return v.asText();
        }

        int integer(String k, Integer dflt, int min) {
            if (!has(k) && dflt != null) {
                return dflt;
            }
            JsonNode v = need(k);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min) {
                throw bad(k, "an integer ≥ " + min);
            }
            return v.asInt();
        }

        double number(String k, Double dflt) {
            if (!has(k) && dflt != null) {
                return dflt;
            }
            JsonNode v = need(k);
            if (!v.isNumber() || !(v.asDouble() >= 0) || Double.isInfinite(v.asDouble())) {
                throw bad(k, "a number ≥ 0");
            }
            return v.asDouble();
        }

        boolean bool(String k, boolean dflt) {
            if (!has(k)) {
                return dflt;
            }
            if (!n.get(k).isBoolean()) {
                throw bad(k, "true or false");
            }
            return n.get(k).asBoolean();
        }

        List<String> texts(String k, List<String> dflt) {
            if (!has(k) && dflt != null) {
                return dflt;
            }
            JsonNode v = need(k);
            List<String> out = new ArrayList<>();
            if (v.isArray()) {
                v.forEach(x -> out.add(x.isTextual() ? x.asText() : null));
            }
            if (!v.isArray() || out.isEmpty() || out.contains(null)) {
                throw bad(k, "a non-empty list of strings");
            }
            return out;
        }

        List<Long> longs(String k, List<Long> dflt) {
            if (!has(k)) {
                return dflt;
            }
            JsonNode v = n.get(k);
            List<Long> out = new ArrayList<>();
            if (v.isArray()) {
                v.forEach(x -> out.add(x.isIntegralNumber() ? x.asLong() : null));
            }
            if (!v.isArray() || out.isEmpty() || out.contains(null)) {
                throw bad(k, "a non-empty list of integers");
            }
            return out;
        }

        List<Double> numbers(String k) {
            JsonNode v = need(k);
            List<Double> out = new ArrayList<>();
            if (v.isArray()) {
                v.forEach(x -> out.add(x.isNumber() && x.asDouble() > 0 ? x.asDouble() : null));
            }
            if (!v.isArray() || out.isEmpty() || out.contains(null)) {
                throw bad(k, "a non-empty list of positive numbers");
            }
            return out.stream().sorted().toList();
        }
    }
}
