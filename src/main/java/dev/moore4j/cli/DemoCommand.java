package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.harness.ResultsDb;
import dev.moore4j.harness.Suite;
import dev.moore4j.harness.SuiteSpec;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.model.load.ModelLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code moore demo}: the README's main job. Heads only, LoRA and MoORE on NLU-MTL (cola, sst2, mrpc, rte)
 * with all-MiniLM-L6-v2, through the comparison harness with its settings (suite {@code demo}), side by
 * side, with the oblivion figure and any warning a run raised (a collapsed task, a rising loss).
 */
@Command(name = "demo", description = "Heads only vs LoRA vs MoORE on NLU-MTL (cola, sst2, mrpc, rte) with all-MiniLM-L6-v2, a few minutes on 2 cores.")
public final class DemoCommand implements Runnable {
    /** A column of the demo: the method and its key in the JSON output ("base" is heads only, as before). */
    record Arm(String method, String key) {}

    static final List<Arm> ARMS = List.of(new Arm("heads", "base"), new Arm("lora", "lora"), new Arm("moore", "moore"));

    @Mixin
    Common common;

    @Option(names = "--model", description = "Encoder. Default: ${DEFAULT-VALUE}.")
    String model = ModelLoader.DEFAULT_MODEL;

    @Option(names = "--max-train", description = "Training examples per task. Default: the demo suite's (250).")
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
        int train = maxTrain != null ? maxTrain : d.maxTrain();
        int steps = Math.max(1, (int) Math.ceil(4.0 * train / d.batchSize())); // one epoch over the four tasks
        SuiteSpec spec = new SuiteSpec(d.name(), d.title(), model, d.tasks(), train, maxEval != null ? maxEval : d.maxEval(), d.maxLength(),
                d.batchSize(), steps, d.evalEvery(), d.adapterLr(), d.headLr(), d.fullLr(), maxOblivion, 0, d.methods(), List.of(seed), List.of(),
                List.of());
        AtomicFiles.deleteTree(out); // the demo always starts afresh
        try (NDManager m = common.manager()) {
            Suite.run(spec, Suite.plan(spec, spec.methods(), spec.seeds(), false, 0), out, 1, Suite.inProcess(spec, Map.of(), m), "moore demo");
        }
        ObjectNode result = Common.JSON.createObjectNode();
        ObjectNode ob = Common.JSON.createObjectNode();
        ObjectNode after = Common.JSON.createObjectNode();
        var warnings = Common.JSON.createArrayNode();
        Map<String, ResultsDb.Row> rows = new LinkedHashMap<>();
        try (ResultsDb db = ResultsDb.open(out.resolve(Suite.DB))) {
            db.rows(spec.name(), "main").forEach(r -> rows.put(r.method(), r));
        }
        for (Arm arm : ARMS) {
            ResultsDb.Row r = rows.get(arm.method());
            if (r == null) {
                throw new MooreException("demo: the " + arm.method() + " run failed; see the messages above");
            }
            result.set(arm.key(), r.eval());
            if (!arm.method().equals("heads")) {
                after.put(arm.method(), r.oblivionAfter());
            }
            ob.put("stsb_before", r.oblivionBefore());
            r.warnings().forEach(w -> warnings.add(arm.method() + ": " + w.asText()));
        }
        ob.set("stsb_after", after);
        result.set("oblivion", ob);
        result.set("warnings", warnings);
        if (common.json) {
            common.printJson(result);
            return;
        }
        System.out.println("NLU-MTL on " + model + ", " + train + " training and " + spec.maxEval() + " evaluation examples per task, " + steps
                + " steps, seed " + seed + "; adapters at lr " + spec.adapterLr());
        List<JsonNode> evals = ARMS.stream().map(a -> result.get(a.key())).toList();
        System.out.print(Report.table(List.of("base (heads)", "LoRA", "MoORE"), evals));
        System.out.printf("oblivion: zero-shot STS-B Spearman %.4f before; after LoRA %.4f, after MoORE %.4f (task-free routing)%n",
                ob.get("stsb_before").asDouble(), after.get("lora").asDouble(), after.get("moore").asDouble());
        for (String k : List.of("lora", "moore")) {
            System.out.printf("%s training: %.1f examples/s, inference %.2f ms/example%n", k, rows.get(k).examplesPerSecond(),
                    rows.get(k).inferenceMsPerExample());
        }
        warnings.forEach(w -> System.out.println("WARNING: " + w.asText()));
        System.out.println("runs, results.sqlite and results.md in " + out);
    }
}
