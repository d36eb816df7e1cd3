package dev.moore4j.harness;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sequential protocol of a suite ({@code sequential:}): tasks arriving one stage at a time, each stage continuing
 * the adapter of the one before ({@code train --from}). After every stage every task seen so far is evaluated (and the
 * oblivion probe runs), which makes the stage × task accuracy matrix.
 *
 * @param orders  named orders, each a list of stages, each stage one task or a group of tasks (by name)
 * @param replays the replay settings each order runs with (examples of each earlier task per stage; 0: none)
 * @param steps   optimiser steps of each stage; 0: the protocol's steps times the stage's share of the training
 *                examples, so that a sequence takes as many steps as the simultaneous (all-at-once) run
 */
public record SuiteSequential(Map<String, List<List<String>>> orders, List<Integer> replays, int steps) {
    static final Set<String> FIELDS = Set.of("orders", "replay", "steps");

    public SuiteSequential {
        orders = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(orders));
        replays = List.copyOf(replays);
    }

    /** The {@code sequential:} mapping of a suite file; every task must be one of the suite's and come once per order. */
    static SuiteSequential read(SuiteFields f, List<String> taskNames) {
        JsonNode o = f.object("orders");
        if (o == null || !o.isObject() || o.isEmpty()) {
            throw new MooreException(f.source() + ": field 'sequential.orders' must map order names to lists of stages");
        }
        Map<String, List<List<String>>> orders = new LinkedHashMap<>();
        o.fields().forEachRemaining(e -> {
            String name = e.getKey();
            if (!name.matches("[A-Za-z0-9_]+")) {
                throw new MooreException(f.source() + ": field 'sequential.orders." + name + "': an order's name holds only letters, digits and '_'");
            }
            if (!e.getValue().isArray() || e.getValue().size() < 2) {
                throw new MooreException(f.source() + ": field 'sequential.orders." + name + "' must list at least two stages");
            }
            List<List<String>> stages = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (JsonNode s : e.getValue()) {
                List<String> stage = new ArrayList<>();
                if (s.isTextual()) {
                    stage.add(s.asText());
                } else if (s.isArray() && !s.isEmpty()) {
                    s.forEach(t -> stage.add(t.asText()));
                } else {
                    throw new MooreException(f.source() + ": field 'sequential.orders." + name + "': a stage is a task name or a list of them, got " + s);
                }
                for (String t : stage) {
                    if (!taskNames.contains(t)) {
                        throw new MooreException(f.source() + ": field 'sequential.orders." + name + "': '" + t + "' is not one of the suite's tasks ("
                                + String.join(", ", taskNames) + ")");
                    }
                    if (!seen.add(t)) {
                        throw new MooreException(f.source() + ": field 'sequential.orders." + name + "': task '" + t + "' comes twice");
                    }
                }
                stages.add(List.copyOf(stage));
            }
            orders.put(name, List.copyOf(stages));
        });
        List<Integer> replays = new ArrayList<>();
        if (f.has("replay")) {
            JsonNode r = f.object("replay");
            if (!r.isArray() || r.isEmpty()) {
                throw f.bad("replay", "a non-empty list of integers ≥ 0");
            }
            for (JsonNode x : r) {
                if (!x.isIntegralNumber() || x.asInt() < 0 || replays.contains(x.asInt())) {
                    throw f.bad("replay", "a list of different integers ≥ 0");
                }
                replays.add(x.asInt());
            }
        } else {
            replays.add(0);
        }
        return new SuiteSequential(orders, replays, f.integer("steps", 0, 0));
    }

    /**
     * The sequential runs: for each seed, method, order and replay setting, the order's stages, each method at its main
     * rate. Seed by seed, and within a seed stage-major (every sequence's first stage, then every second stage, …): a
     * stage continues the adapter of the one before, which is then always earlier in the plan, and far enough ahead that
     * side-by-side jobs seldom wait; a suite stopped part-way has whole sequences for its first seeds.
     */
    public static List<RunId> plan(SuiteSpec spec, List<String> methods, List<Long> seeds, ResultsDb db) {
        SuiteSequential seq = of(spec);
        Map<String, Double> rates = new LinkedHashMap<>();
        Suite.plan(spec, methods, seeds.subList(0, 1), 0, db).forEach(k -> rates.put(k.method(), k.lr()));
        int longest = seq.orders().values().stream().mapToInt(List::size).max().orElse(0);
        List<RunId> keys = new ArrayList<>();
        for (long seed : seeds) {
            for (int i = 0; i < longest; i++) {
                for (String method : methods) {
                    for (Map.Entry<String, List<List<String>>> order : seq.orders().entrySet()) {
                        for (int replay : seq.replays()) {
                            if (i < order.getValue().size()) {
                                keys.add(new RunId(spec.name(), new RunId.Stage(order.getKey(), replay, i), method, seed, rates.get(method)));
                            }
                        }
                    }
                }
            }
        }
        return keys;
    }

    /** The suite's sequential protocol, or an error saying the file has none. */
    static SuiteSequential of(SuiteSpec spec) {
        if (spec.sequential() == null) {
            throw new MooreException("suite " + spec.name() + ": no 'sequential:' protocol in its file (orders of stages; see moore suite --help)");
        }
        return spec.sequential();
    }

    /** The tasks a stage trains, by name. */
    public static List<String> stageTasks(SuiteSpec spec, RunId.Stage stage) {
        List<List<String>> stages = of(spec).orders().get(stage.order());
        if (stages == null || stage.index() >= stages.size()) {
            throw new MooreException("suite " + spec.name() + ": no stage " + stage.index() + " in order '" + stage.order() + "'");
        }
        return stages.get(stage.index());
    }

    /**
     * Steps of a stage: the protocol's {@code sequential.steps}, else the multi-task steps times the stage's share of the
     * training examples (rounded up), so that a whole sequence trains about as long as the simultaneous run.
     */
    public static int stageSteps(SuiteSpec spec, RunId.Stage stage) {
        if (of(spec).steps() > 0) {
            return of(spec).steps();
        }
        Map<String, Integer> share = Suite.singleTaskSteps(spec);
        return stageTasks(spec, stage).stream().mapToInt(share::get).sum();
    }
}
