package dev.moore4j.harness;

import dev.moore4j.MooreException;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rates part of a suite: each method's rate until the suite's own sweep has chosen one, the sweep's grids and
 * the methods it sweeps. Rates and grids are looked up by the method entry as written ({@code goat[scale=paper]}),
 * then by the method's name, then by its rate family ({@link dev.moore4j.adapter.Method.Kind#rateFamily}).
 */
public record SuiteRates(Map<String, Double> byMethod, Map<String, List<Double>> grids, List<String> sweepMethods) {
    public SuiteRates {
        byMethod = Map.copyOf(byMethod);
        grids = Map.copyOf(grids);
        sweepMethods = List.copyOf(sweepMethods);
    }

    /** The {@code rates:}, {@code grids:} and {@code sweep_methods:} fields of a suite file; the sweep's methods default to the suite's. */
    static SuiteRates read(SuiteFields f, List<String> methods) {
        Map<String, Double> rates = new TreeMap<>();
        SuiteFields r = new SuiteFields(f.object("rates"), f.source(), "rates.", null);
        for (String k : r.keys()) {
            rates.put(checkKey(k, f.source(), "rates"), r.number(k, null));
        }
        Map<String, List<Double>> grids = new TreeMap<>();
        SuiteFields g = new SuiteFields(f.object("grids"), f.source(), "grids.", null);
        for (String k : g.keys()) {
            grids.put(checkKey(k, f.source(), "grids"), g.numbers(k));
        }
        return new SuiteRates(rates, grids, f.has("sweep_methods") ? f.texts("sweep_methods", null) : methods);
    }

    private static String checkKey(String key, String source, String field) {
        if (!SuiteSpec.FAMILIES.contains(key)) {
            try {
                SuiteSpec.variant(key);
            } catch (MooreException e) {
                throw new MooreException(source + ": field '" + field + "." + key + "': neither adapter, full, heads nor a method (" + e.getMessage() + ")");
            }
        }
        return key;
    }

    /** The rate of a main run before any sweep, or null. */
    Double rateOrNull(String entry) {
        return lookup(byMethod, entry);
    }

    /** The sweep grid of a method; empty when none is given. */
    public List<Double> gridFor(String entry) {
        List<Double> g = lookup(grids, entry);
        return g != null ? g : List.of();
    }

    private static <T> T lookup(Map<String, T> m, String entry) {
        T v = m.get(entry);
        if (v == null) {
            v = m.get(SuiteSpec.variant(entry).getKey());
        }
        return v != null ? v : m.get(SuiteSpec.family(entry));
    }
}
