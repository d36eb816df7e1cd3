package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.Methods;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.EncoderModel;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Heads;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code moore params}: trainable parameters of a method on a model (adapter only; heads reported apart),
 * per layer; {@code --budget N} picks the rank closest to N.
 */
@Command(name = "params", description = "Count a method's trainable parameters on a model, per layer; --budget N picks the rank (r) closest to N.")
public final class ParamsCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", description = "Model (alias, HF directory or llama2.c .bin).")
    String model;

    @Option(names = "--method", required = true, description = "Method (${COMPLETION-CANDIDATES}).", completionCandidates = AdaptCommand.MethodNames.class)
    String method;

    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable).")
    List<String> set = new ArrayList<>();

    @Option(names = "--tasks", split = ",", description = "Tasks whose heads to count (encoders). Default: nlu-mtl for encoders, none for decoders.")
    List<String> tasks;

    @Option(names = "--budget", description = "Trainable-parameter budget: choose the value of the method's sizing key (r; HRA and MoORE: householder) whose count is closest.")
    Long budget;

    @Override
    public void run() {
        Map<String, Object> overrides = new LinkedHashMap<>(Methods.parseAssignments(method, set));
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m)) {
            List<TaskSpec> specs = TaskRegistry.resolveAll(tasks != null ? tasks : loaded.model() instanceof EncoderModel ? List.of("nlu-mtl") : List.of());
            int taskIds = Math.max(1, specs.size());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("method", method);
            if (budget != null) {
                String key = rankKey();
                int best = pickRank(loaded, overrides, key, taskIds);
                overrides.put(key, best);
                out.put(key, best);
                out.put("budget", budget);
            }
            MethodConfig config = Methods.config(method, overrides, "--set");
            Adapter adapter = Adapter.attach(loaded.model(), method, config, new AdaptContext(taskIds, 42, new FactorCache(SharedPaths.cache().resolve("svd"))));
            long heads = loaded.model() instanceof EncoderModel encoder ? Heads.count(specs, encoder.hiddenSize()) : 0;
            out.put("trainable", adapter.trainableCount());
            out.put("heads", heads);
            out.put("base", loaded.model().parameterCount());
            out.put("config", adapter.configJson());
            out.put("layers", adapter.layers());
            if (common.json) {
                common.printJson(out);
                return;
            }
            System.out.printf("%s on %s: %,d trainable adapter parameters (%.3f%% of %,d), %,d in heads for %d tasks%n", method, model,
                    adapter.trainableCount(), 100.0 * adapter.trainableCount() / loaded.model().parameterCount(), loaded.model().parameterCount(),
                    heads, specs.size());
            if (budget != null) {
                System.out.printf("budget %,d: %s = %s%n", budget, rankKey(), overrides.get(rankKey()));
            }
        }
    }

    private String rankKey() {
        String key = Methods.get(method).budgetKey();
        if (key == null) {
            throw new MooreException("--budget: method '" + method + "' has no hyperparameter that sizes it");
        }
        return key;
    }

    /**
     * The value of {@code key} whose count is closest to the budget (counts are computed without allocating);
     * values the method's config refuses (an odd Householder count, a GOAT rank its experts do not divide) are skipped.
     */
    private int pickRank(ModelLoader.Loaded loaded, Map<String, Object> overrides, String key, int taskIds) {
        int limit = loaded.model().linearSlots().stream().mapToInt(s -> Math.min(s.get().inFeatures(), s.get().outFeatures())).min().orElse(1);
        int best = -1;
        long bestGap = Long.MAX_VALUE;
        for (int r = 1; r <= limit; r++) {
            Map<String, Object> o = new LinkedHashMap<>(overrides);
            o.put(key, r);
            MethodConfig config;
            try {
                config = Methods.config(method, o, "--budget");
            } catch (MooreException refused) {
                continue;
            }
            long gap = Math.abs(Methods.count(method, loaded.model(), config, taskIds) - budget);
            if (gap < bestGap) {
                bestGap = gap;
                best = r;
            }
        }
        if (best < 0) {
            throw new MooreException("--budget: no valid value of '" + key + "' for method '" + method + "'");
        }
        return best;
    }
}
