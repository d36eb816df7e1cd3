package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.adapter.Methods;
import dev.moore4j.config.Flag;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.train.Continuation;
import dev.moore4j.train.Run;
import dev.moore4j.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code moore train}: multi-task training from a config file and/or flags (flags win). Every field of
 * {@link TrainConfig} is an option, built from its {@link Flag} (so a field is declared once); the method's
 * hyperparameters come with {@code --set}.
 */
@Command(name = "train", modelTransformer = TrainCommand.ConfigOptions.class,
        description = "Train an adaptation method (or heads only) on several tasks at once; writes best/ and last/ checkpoints and summary.json.")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", description = "Config file: our JSON/YAML (fields of TrainConfig) or a reference MoE-PEFT JSON.")
    Path config;

    @Option(names = "--out", required = true, description = "Output directory (checkpoints, summary.json).")
    Path out;

    @Option(names = "--resume", description = "Continue from OUT/last if it exists.")
    boolean resume;

    @Option(names = "--stop-after", description = "Stop after this step with a last checkpoint, as if interrupted.")
    int stopAfter;

    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable), e.g. --set r=16 --set top_k=2.")
    List<String> set;

    @Option(names = "--targets", split = ",", description = "Target module patterns; same as --set targets=….")
    List<String> targets;

    /** Adds one option per {@link Flag}ged field of {@link TrainConfig}. */
    public static final class ConfigOptions implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            for (RecordComponent rc : TrainConfig.class.getRecordComponents()) {
                Flag f = rc.getAnnotation(Flag.class);
                if (f == null || f.hidden()) {
                    continue;
                }
                OptionSpec.Builder b = OptionSpec.builder(flagNames(rc, f)).description(f.value()).paramLabel("<" + rc.getName() + ">");
                Class<?> t = rc.getType();
                if (t == boolean.class) {
                    b.type(Boolean.class).arity(f.negated() ? "0" : "0..1");
                } else if (t == List.class) {
                    b.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
                } else {
                    b.type(t.isPrimitive() ? box(t) : t);
                }
                spec.addOption(b.build());
            }
            return spec;
        }
    }

    static String[] flagNames(RecordComponent rc, Flag f) {
        return f.names().length > 0 ? f.names() : new String[] {"--" + rc.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase()};
    }

    private static Class<?> box(Class<?> t) {
        return t == int.class ? Integer.class : t == long.class ? Long.class : t == double.class ? Double.class : t;
    }

    /** The config file (or defaults) with the given flags applied. */
    TrainConfig effectiveConfig() {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        OptionSpec from = parsed.matchedOption("--from");
        // a continued adapter's own recipe (model, method, hyperparameters, rates) unless a config file or a flag says otherwise
        TrainConfig base = config != null ? TrainConfig.read(config) : from != null ? Continuation.recipe(from.getValue()) : TrainConfig.defaults();
        ObjectNode n = base.toJson();
        for (RecordComponent rc : TrainConfig.class.getRecordComponents()) {
            Flag f = rc.getAnnotation(Flag.class);
            if (f == null || f.hidden()) {
                continue;
            }
            OptionSpec o = parsed.matchedOption(flagNames(rc, f)[0]);
            if (o != null) {
                Object v = f.negated() ? Boolean.FALSE : o.getValue();
                n.set(rc.getName(), Common.JSON.valueToTree(v == null && rc.getType() == boolean.class ? Boolean.TRUE : v));
            }
        }
        String method = n.get("method").asText();
        Map<String, Object> adapter = new LinkedHashMap<>();
        if (method.equals(base.method())) {
            adapter.putAll(base.adapter()); // a config file's hyperparameters belong to its own method
        }
        if (targets != null) {
            adapter.put("targets", targets);
        }
        adapter.putAll(Methods.parseAssignments(method, set));
        n.set("adapter", Common.JSON.valueToTree(adapter));
        return TrainConfig.fromJson(n, config != null ? config.toString() : "flags").validate();
    }

    @Override
    public Integer call() {
        TrainConfig cfg = effectiveConfig();
        try (NDManager m = common.manager()) {
            ObjectNode summary = Run.train(cfg, out, new Trainer.Options(resume, stopAfter), m);
            if (common.json) {
                common.printJson(summary);
            } else {
                System.out.println(Report.summaryText(summary));
            }
        }
        return 0;
    }
}
