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
}
