package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.moore4j.io.WeightsDtype;
import dev.moore4j.MooreException;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.Methods;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A comparison protocol, read from a suite file (YAML or JSON): the model, the tasks, the same data, steps,
 * batch, schedule and evaluation for every method, the methods, the seeds, each method's learning rate until
 * the suite's own sweep has chosen one, and the sweep's rate grids. The built-in suites are such files in the
 * jar ({@code moore suite --show NAME} prints them); a user's file has the same fields, with task spec files
 * given relative to the suite file.
 *
 * <p>It reads in named parts: the {@link SuiteProtocol} (the same for every method) and the {@link SuiteRates} (each
 * method's rate, the sweep's grids and methods).
 *
 * @param seedStd    the overall score's standard deviation over seeds, as measured and written in the file (NaN: not
 *                   given); the demo prints it beside the differences it shows
 * @param overallExcludes tasks kept in their columns but left out of the overall score ({@link OverallScore})
 * @param sequential the sequential protocol ({@code moore suite --sequential}); null when the file has none
 */
public record SuiteSpec(String name, String title, String model, List<String> tasks, SuiteProtocol protocol, List<String> methods, List<Long> seeds,
                        SuiteRates rates, double seedStd, List<String> overallExcludes, SuiteSequential sequential) {
    /** Every method of the registry, in its order, and GOAT's second scale choice. */
    static final List<String> ALL = Stream.concat(Methods.names().stream(), Stream.of("goat[scale=paper]")).toList();
    public static final List<String> BUILT_IN = List.of("nlu-mtl", "csr-mtl", "demo");
    /** The keys of {@code rates:} and {@code grids:}: the rate families of the methods' kinds. */
    static final Set<String> FAMILIES = Stream.of(Method.Kind.values()).map(Method.Kind::rateFamily).collect(Collectors.toUnmodifiableSet());
    private static final Set<String> TOP = Set.of("name", "title", "model", "tasks", "protocol", "methods", "seeds", "rates", "grids", "sweep_methods",
            "seed_std", "overall_excludes", "sequential");

    public SuiteSpec {
        tasks = List.copyOf(tasks);
        methods = List.copyOf(methods);
        seeds = List.copyOf(seeds);
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

    /** A suite from the text of a suite file (built-in tasks only). */
    static SuiteSpec fromYaml(String yaml, String source) {
        return parse(readTree(yaml, source), source, null);
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
        SuiteFields f = new SuiteFields(n, source, "", TOP);
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
        SuiteProtocol protocol = SuiteProtocol.read(new SuiteFields(f.object("protocol"), source, "protocol.", SuiteProtocol.FIELDS));
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
        SuiteRates rates = SuiteRates.read(f, methods);
        once(rates.sweepMethods(), "sweep_methods", source);
        double seedStd = f.has("seed_std") ? f.number("seed_std", null) : Double.NaN;
        List<String> excludes = excludes(f, taskNames);
        SuiteSequential sequential = f.has("sequential")
                ? SuiteSequential.read(new SuiteFields(f.object("sequential"), source, "sequential.", SuiteSequential.FIELDS), taskNames) : null;
        SuiteSpec s = new SuiteSpec(name, title, model, tasks, protocol, methods, seeds, rates, seedStd, excludes, sequential);
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

    /** The tasks the overall score leaves out: some of the suite's, never all. */
    private static List<String> excludes(SuiteFields f, List<String> taskNames) {
        List<String> excludes = f.has("overall_excludes") ? f.texts("overall_excludes", null) : List.of();
        for (String t : excludes) {
            if (!taskNames.contains(t)) {
                throw new MooreException(f.source() + ": field 'overall_excludes': '" + t + "' is not one of the suite's tasks (" + String.join(", ", taskNames) + ")");
            }
        }
        if (excludes.containsAll(taskNames)) {
            throw new MooreException(f.source() + ": field 'overall_excludes' leaves no task in the overall score");
        }
        return excludes;
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
        return rates.rateOrNull(entry);
    }

    /** The sweep grid of a method: by entry, method name, then family; empty when none is given. */
    public List<Double> gridFor(String entry) {
        return rates.gridFor(entry);
    }

    /** The methods the sweep runs. */
    public List<String> sweepMethods() {
        return rates.sweepMethods();
    }

    /** The training config of one run; {@code sweep} evaluates on the carved validation split and skips the oblivion figure. */
    public TrainConfig config(String entry, long seed, double lr, boolean sweep, Map<String, Object> extra) {
        return config(entry, seed, lr, sweep, extra, tasks, protocol.maxSteps());
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
        SuiteProtocol p = protocol;
        TrainConfig.Builder b = TrainConfig.builder().model(model).method(method).tasks(onTasks).maxTrainExamples(p.maxTrain()).maxEvalExamples(p.maxEval())
                .maxLength(p.maxLength()).batchSize(p.batchSize()).maxSteps(steps).evalEvery(Math.min(p.evalEvery(), steps))
                .checkpointEvery(p.checkpointEvery()).lr(lr).headLr(Methods.get(method).kind() == Method.Kind.HEADS ? lr : p.headLr())
                .schedule(p.schedule()).warmup(p.warmup()).clipNorm(1.0).seed(seed).oblivion(p.oblivion()).oblivionExamples(p.oblivionExamples())
                .adapter(adapter).weightsDtype(p.weightsDtype());
        if (sweep) {
            b.validationExamples(p.validation()).maxEvalExamples(0).oblivion(false);
        }
        return b.build().validate();
    }

    /** A copy with other protocol sizes (the demo's options). */
    public SuiteSpec withSizes(String model, int maxTrain, int maxEval, int maxSteps, int oblivionExamples, List<Long> seeds) {
        return new SuiteSpec(name, title, model, tasks, protocol.withSizes(maxTrain, maxEval, maxSteps, oblivionExamples), methods, seeds, rates, seedStd,
                overallExcludes, sequential);
    }

    /** A copy whose runs hold the frozen weights as {@code dtype}. */
    public SuiteSpec withWeightsDtype(WeightsDtype dtype) {
        return new SuiteSpec(name, title, model, tasks, protocol.withWeightsDtype(dtype), methods, seeds, rates, seedStd, overallExcludes, sequential);
    }
}
