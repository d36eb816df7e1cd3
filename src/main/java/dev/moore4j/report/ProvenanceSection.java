package dev.moore4j.report;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.SuiteReport;
import dev.moore4j.harness.SuiteReport.MethodRow;
import dev.moore4j.util.Provenance;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Where, when and from what the runs came: protocol, seeds, commits, machine and roofline. */
final class ProvenanceSection extends PageSection {
    ProvenanceSection(Context c) {
        super(c);
    }

    @Override
    String id() {
        return "provenance";
    }

    @Override
    String heading() {
        return "Provenance";
    }

    @Override
    void body(List<MethodRow> ranked, List<ResultsDb.Row> main) {
        JsonNode cfg = main.get(0).config();
        out.append("<table class=\"kv\">\n");
        kv("model", cfg.path("model").asText());
        kv("tasks", String.join(", ", SuiteReport.tasks(main)));
        kv("protocol", String.format(Locale.ROOT, "%s training examples per task, %d steps of batch %d, max length %d, %s schedule after %.0f%% "
                        + "warm-up, clip %.1f, weight decay %.2f, evaluation %s", cfg.path("maxTrainExamples").asInt() > 0
                        ? Integer.toString(cfg.path("maxTrainExamples").asInt()) : "all", cfg.path("maxSteps").asInt(), cfg.path("batchSize").asInt(),
                cfg.path("maxLength").asInt(), cfg.path("schedule").asText(), 100 * cfg.path("warmup").asDouble(), cfg.path("clipNorm").asDouble(),
                cfg.path("weightDecay").asDouble(), cfg.path("maxEvalExamples").asInt() > 0 ? "on up to " + cfg.path("maxEvalExamples").asInt()
                        + " examples per task" : "on the full evaluation sets"));
        Set<Long> seeds = new TreeSet<>();
        main.forEach(r -> seeds.add(r.seed()));
        kv("seeds", seeds.toString());
        kv("commits of the runs", String.join(", ", SuiteReport.commits(main)));
        List<String> when = db.recordedBetween(suite);
        kv("recorded (UTC)", when.isEmpty() ? "—" : when.get(0) + (when.size() > 1 && !when.get(1).equals(when.get(0)) ? " to " + when.get(1) : ""));
        Set<String> machines = new LinkedHashSet<>();
        List<Double> roofs = new ArrayList<>();
        for (ResultsDb.Row r : main) {
            JsonNode mc = db.machine(r.id());
            if (mc.isObject()) {
                roofs.add(mc.path("matmul_gflops").asDouble(Double.NaN));
                if (mc.has("cores")) {
                    machines.add(mc.path("cpu").asText("CPU not reported") + ", " + mc.path("cores").asInt() + " cores, " + mc.path("threads").asInt()
                            + " compute threads" + (mc.has("mkl_code_path") ? ", MKL code path " + mc.path("mkl_code_path").asInt() : ""));
                }
            }
        }
        kv("machine", machines.isEmpty() ? "not recorded with these runs" : String.join("; ", machines));
        kv("matmul roofline", roofs.isEmpty() ? "not recorded with these runs" : String.format(Locale.ROOT, "%.0f GFLOP/s (median over runs; "
                + "libtorch fp32 matmul measured in each run)", median(roofs)));
        kv("report", "generated " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " by moore4j " + Provenance.commit());
        out.append("</table>\n");
    }

    private static double median(List<Double> v) {
        double[] x = v.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).sorted().toArray();
        return x.length == 0 ? Double.NaN : x.length % 2 == 1 ? x[x.length / 2] : (x[x.length / 2 - 1] + x[x.length / 2]) / 2;
    }
}
