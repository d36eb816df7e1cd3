package dev.moore4j.report;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport.MethodRow;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** The routing analyses of MoORE and the mixtures: adjustment or load heat maps, task similarity, per-layer figures. */
final class RoutingSection extends PageSection {
    RoutingSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "routing";
    }

    @Override
    String heading() {
        return "Routing";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        boolean any = false;
        List<String> left = new ArrayList<>();
        for (MethodRow m : ranked) {
            JsonNode a = null;
            long seed = 0;
            for (ResultsDb.Row r : m.runs().stream().sorted(java.util.Comparator.comparingLong(ResultsDb.Row::seed)).toList()) {
                JsonNode x = db.routing(r.id());
                if (x.path("layers").isArray() && x.get("layers").size() > 0) {
                    a = x;
                    seed = r.seed();
                    break;
                }
            }
            if (a == null) {
                continue;
            }
            if (routingOf != null && !routingOf.contains(m.method())) {
                left.add(m.method());
                continue;
            }
            any = true;
            out.append("<h3><span class=\"swatch\" style=\"background:").append(Palette.css(m.method())).append("\"></span>").append(esc(m.method()))
                    .append(" (seed ").append(seed).append(")</h3>\n");
            boolean moore = a.get("layers").get(0).path("tasks").elements().next().has("w_over_s_mean");
            routingOf(m.method(), a, moore);
        }
        if (!left.isEmpty()) {
            note("Not drawn on this page: the routing of " + esc(String.join(", ", left)) + ", which the database holds (<code>moore report DB "
                    + "--html OUT.html</code> without <code>--routing</code> draws every method's).");
        }
        if (!any && left.isEmpty()) {
            note("No routing analysis is stored: it is recorded for MoORE and mixture main runs by <code>moore suite</code>, and for one adapter "
                    + "by <code>moore analyze --adapter DIR</code>.");
        }
    }

    /** The most expert columns a MoORE routing heat map draws. */
    static final int MAX_BINS = 8;

    private void routingOf(String method, JsonNode a, boolean moore) {
        JsonNode layers = a.get("layers");
        String[] names = shortNames(layers);
        List<String> labels = new ArrayList<>();
        layers.get(0).path("tasks").fieldNames().forEachRemaining(labels::add);
        String slug = method.replaceAll("[^A-Za-z0-9]+", "-");
        heatmaps(method, layers, names, labels, slug, moore);
        similarity(method, a.path("task_similarity"), slug, moore);
        perLayer(method, layers, names, labels, slug, moore);
    }

    /** One heat map per routing label: MoORE's adjustments by expert bin, or a mixture's expert load, by layer. */
    private void heatmaps(String method, JsonNode layers, String[] names, List<String> labels, String slug, boolean moore) {
        out.append("<div class=\"grid\">\n");
        for (String label : labels) {
            int cols = 0;
            for (JsonNode l : layers) {
                cols = Math.max(cols, l.path("tasks").path(label).path(moore ? "adjustment_bins" : "expert_load").size());
            }
            if (cols == 0) {
                continue;
            }
            // MoORE's bins are merged in pairs (or more) down to at most MAX_BINS columns: every cell is an SVG element, and
            // five maps of 36 × 32 cells made a page of 1.5 MB for no detail a reader could use
            int merge = moore ? (cols + MAX_BINS - 1) / MAX_BINS : 1;
            int shown = (cols + merge - 1) / merge;
            double[][] v = new double[names.length][shown];
            for (int i = 0; i < names.length; i++) {
                JsonNode arr = layers.get(i).path("tasks").path(label).path(moore ? "adjustment_bins" : "expert_load");
                for (int j = 0; j < shown; j++) {
                    double sum = 0;
                    int n = 0;
                    for (int k = j * merge; k < Math.min(arr.size(), (j + 1) * merge); k++) {
                        sum += arr.get(k).asDouble();
                        n++;
                    }
                    v[i][j] = n > 0 ? (moore ? 100 : 1) * sum / n : Double.NaN;
                }
            }
            String[] colNames = new String[shown];
            for (int j = 0; j < shown; j++) {
                colNames[j] = Integer.toString(j);
            }
            int bin = layers.get(0).path("bin_size").asInt(1) * merge;
            figure(Charts.heatmap("routing-" + slug + "-" + label.replaceAll("[^A-Za-z0-9]+", "-"), method + ": " + label, moore ? "expert bin ("
                            + bin + " experts each, by singular value, largest first)" : "expert", colNames, "layer", names, v,
                    moore ? "mean (w − s)/s (%)" : "share of tokens", moore, null, moore ? 0.98 : 1.0),
                    moore ? "Mean adjustment of each expert's singular value under " + esc(label) + " routing, in % of s; 0 = the base model. "
                            + "The colours end at the 98th percentile of the magnitudes, so a few large relative changes of tiny singular "
                            + "values do not wash out the rest." : "Share of " + esc(label) + " tokens each expert received.");
        }
        out.append("</div>\n");
    }

    private void similarity(String method, JsonNode sim, String slug, boolean moore) {
        if (sim.path("tasks").size() > 1) {
            String[] t = new String[sim.get("tasks").size()];
            for (int i = 0; i < t.length; i++) {
                t[i] = sim.get("tasks").get(i).asText();
            }
            double[][] m = new double[t.length][t.length];
            for (int i = 0; i < t.length; i++) {
                for (int j = 0; j < t.length; j++) {
                    m[i][j] = sim.get("matrix").get(i).get(j).asDouble();
                }
            }
            figure(Charts.heatmap("similarity-" + slug, method + ": task similarity of the routing", "task", t, "task", t, m, "cosine", true, "0.00"),
                    moore ? "Cosine similarity of the tasks' mean adjustment vectors, all layers concatenated (the paper's Fig. 3)."
                            : "Cosine similarity of the tasks' expert loads (deviation from uniform), all layers concatenated.");
        }
    }

    private void perLayer(String method, JsonNode layers, String[] names, List<String> labels, String slug, boolean moore) {
        String key = moore ? "off_share" : "entropy";
        List<Charts.Line> lines = new ArrayList<>();
        for (String label : labels) {
            double[] x = new double[names.length];
            double[] y = new double[names.length];
            for (int i = 0; i < names.length; i++) {
                x[i] = i;
                y[i] = (moore ? 100 : 1) * layers.get(i).path("tasks").path(label).path(key).asDouble(Double.NaN);
            }
            lines.add(new Charts.Line(label, x, y, null, null));
        }
        figure(Charts.lines("per-layer-" + slug, method + (moore ? ": experts switched off per layer" : ": routing entropy per layer"),
                        "layer (index, in the order of the heat maps)", false, moore ? "experts switched off by the ReLU (%)" : "normalised entropy "
                                + "of the load (1 = uniform)", lines, true),
                moore ? "Share of (token, expert) pairs whose routed singular value the ReLU set to zero, per task."
                        : "Entropy of each layer's expert load per task, normalised by log(experts).");
    }

    /** Layer names without the prefix and suffix they all share, so the heat maps' rows stay readable. */
    static String[] shortNames(JsonNode layers) {
        String[] n = new String[layers.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = layers.get(i).path("name").asText();
        }
        if (n.length < 2) {
            return n;
        }
        int prefix = n[0].length();
        for (String s : n) {
            int k = 0;
            while (k < prefix && k < s.length() && s.charAt(k) == n[0].charAt(k)) {
                k++;
            }
            prefix = k;
        }
        prefix = n[0].lastIndexOf('.', prefix - 1) + 1; // cut at a dot, never inside a number
        String[] out = new String[n.length];
        for (int i = 0; i < n.length; i++) {
            out[i] = n[i].substring(prefix);
        }
        return new LinkedHashSet<>(List.of(out)).size() == out.length ? out : n;
    }
}
