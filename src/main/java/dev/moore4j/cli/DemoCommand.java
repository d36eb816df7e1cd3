package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.RunId;
import dev.moore4j.harness.Suite;
import dev.moore4j.harness.SuiteSpec;
import dev.moore4j.report.HtmlReport;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.DirLock;
import dev.moore4j.model.load.ModelLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code moore demo}: the README's main job. Heads only, LoRA and MoORE on sentiment and commonsense multiple choice
 * (sst2, arc-e, obqa, csqa) with all-MiniLM-L6-v2, through the comparison harness with its settings (suite {@code demo}), side by
 * side, with the oblivion figure and any warning a run raised (a collapsed task, a rising loss).
 */
@Command(name = "demo", description = "Heads only vs LoRA vs MoORE on SST-2 and three commonsense multiple-choice tasks (sst2, arc-e, obqa, csqa) "
        + "with all-MiniLM-L6-v2, about 4 minutes on 2 cores.")
public final class DemoCommand implements Runnable {
    /** A column of the demo: the method and its key in the JSON output ("base" is heads only, as before). */
    record Arm(String method, String key) {}

    static final List<Arm> ARMS = List.of(new Arm("heads", "base"), new Arm("lora", "lora"), new Arm("moore", "moore"));

    @Mixin
    Common common;

    @Mixin
    WeightsFlag weights;

    @Option(names = "--model", description = "Encoder. Default: ${DEFAULT-VALUE}.")
    String model = ModelLoader.DEFAULT_MODEL;

    @Option(names = "--max-train", description = "Training examples per task; the steps scale with it (same epochs). Default: the demo suite's (400).")
    Integer maxTrain;

    @Option(names = "--max-eval", description = "Evaluation examples per task. Default: the demo suite's (250).")
    Integer maxEval;

    @Option(names = "--max-oblivion", description = "STS-B dev pairs for the oblivion figure (0 = all 1500). Default: ${DEFAULT-VALUE}.")
    int maxOblivion = 0;

    @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--out", description = "Where the three runs go. Default: ${DEFAULT-VALUE}.")
    Path out = Path.of("runs", "demo");

    @Override
    public void run() {
        Common.range("--max-oblivion", maxOblivion, 0, Integer.MAX_VALUE);
        SuiteSpec d = SuiteSpec.get("demo");
        var p = d.protocol();
        int train = maxTrain != null ? maxTrain : p.maxTrain();
        int steps = maxTrain == null ? p.maxSteps() : Math.max(1, (int) Math.ceil((double) p.maxSteps() * train / p.maxTrain())); // same epochs
        SuiteSpec spec = d.withSizes(model, train, maxEval != null ? maxEval : p.maxEval(), steps, maxOblivion, List.of(seed))
                .withWeightsDtype(weights.orFp32());
        try (DirLock lock = DirLock.acquire(out, "moore demo")) { // a demo running there keeps its files
            AtomicFiles.deleteTree(out); // the demo always starts afresh
        }
        try (NDManager m = common.manager()) {
            Suite.run(spec, Suite.plan(spec, spec.methods(), spec.seeds(), 0, null), out, 1, Suite.inProcess(spec, Map.of(), m), "moore demo");
        }
        ObjectNode result = Common.JSON.createObjectNode();
        ObjectNode ob = Common.JSON.createObjectNode();
        ObjectNode after = Common.JSON.createObjectNode();
        var warnings = Common.JSON.createArrayNode();
        ObjectNode rates = Common.JSON.createObjectNode();
        Map<String, ResultsDb.Row> rows = new LinkedHashMap<>();
        try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
            HtmlReport.writeSuite(db, spec.name(), out); // once, at the end: the demo starts afresh, so no earlier page is worth updating
            db.rows(spec.name(), RunId.MAIN).forEach(r -> rows.put(r.method(), r));
        }
        for (Arm arm : ARMS) {
            ResultsDb.Row r = rows.get(arm.method());
            if (r == null) {
                throw new MooreException("demo: the " + arm.method() + " run failed; see the messages above");
            }
            result.set(arm.key(), r.eval());
            rates.put(arm.key(), r.lr());
            if (!arm.method().equals("heads")) {
                after.put(arm.method(), r.oblivionAfter());
            }
            ob.put("stsb_before", r.oblivionBefore());
            r.warnings().forEach(w -> warnings.add(arm.method() + ": " + w.asText()));
        }
        ob.set("stsb_after", after);
        result.set("oblivion", ob);
        result.set("warnings", warnings);
        result.set("rates", rates);
        ObjectNode gain = Common.JSON.createObjectNode(); // adapter overall − heads-only overall
        for (String k : List.of("lora", "moore")) {
            gain.put(k, result.get(k).get("overall").asDouble() - result.get("base").get("overall").asDouble());
        }
        result.set("gain_over_heads", gain);
        if (!Double.isNaN(d.seedStd())) {
            result.put("seed_std", d.seedStd());
        }
        if (common.json) {
            common.printJson(result);
        } else {
            print(spec, d, train, steps, result, rows);
        }
    }

    /** The demo's answer as text: the protocol, the three arms' table, oblivion, speed and the gains over heads only. */
    private void print(SuiteSpec spec, SuiteSpec d, int train, int steps, ObjectNode result, Map<String, ResultsDb.Row> rows) {
        JsonNode rates = result.get("rates");
        JsonNode ob = result.get("oblivion");
        JsonNode after = ob.get("stsb_after");
        JsonNode gain = result.get("gain_over_heads");
        System.out.println(String.join(", ", spec.tasks()) + " on " + model + ", " + train + " training and " + spec.protocol().maxEval() + " evaluation examples per task, " + steps
                + " steps, seed " + seed + "; rates: heads " + RunId.rate(rates.get("base").asDouble()) + ", LoRA " + RunId.rate(rates.get("lora").asDouble())
                + ", MoORE " + RunId.rate(rates.get("moore").asDouble()));
        List<JsonNode> evals = ARMS.stream().map(a -> result.get(a.key())).toList();
        System.out.print(Report.table(List.of("base (heads)", "LoRA", "MoORE"), evals));
        System.out.printf("oblivion: zero-shot STS-B Spearman %.4f before; after LoRA %.4f, after MoORE %.4f (task-free routing)%n",
                ob.get("stsb_before").asDouble(), after.get("lora").asDouble(), after.get("moore").asDouble());
        for (String k : List.of("lora", "moore")) {
            System.out.printf("%s training: %.1f examples/s, inference %.2f ms/example%n", k, rows.get(k).examplesPerSecond(),
                    rows.get(k).inferenceMsPerExample());
        }
        String noise = Double.isNaN(d.seedStd()) ? "" : String.format(java.util.Locale.ROOT,
                " (a seed moves an arm's overall by about %.1f points: the standard deviation over the demo's seeds 1-3, measured)", 100 * d.seedStd());
        System.out.printf(java.util.Locale.ROOT, "over heads only: LoRA %+.1f, MoORE %+.1f points overall%s%n", 100 * gain.get("lora").asDouble(),
                100 * gain.get("moore").asDouble(), noise);
        result.get("warnings").forEach(w -> System.out.println("WARNING: " + w.asText()));
        System.out.println("runs, results.sqlite and results.md in " + out);
    }
}
