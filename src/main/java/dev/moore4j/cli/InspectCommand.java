package dev.moore4j.cli;

import ai.djl.ndarray.NDManager;

import dev.moore4j.io.WeightsDtype;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.load.ModelLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "inspect", description = "Show a model's family, configuration, parameter count and linear layers.")
final class InspectCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", description = "Model: alias (minilm, bge-small, e5-small, stories260K), HF directory or llama2.c .bin.")
    String model;

    @Override
    public void run() {
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m)) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model);
            out.put("family", loaded.model().family());
            out.put("config", loaded.model().config());
            out.put("parameters", loaded.model().parameterCount());
            out.put("weights_hash", loaded.model().weightsHash());
            out.put("vocab", loaded.tokenizer().vocabSize());
            List<Map<String, Object>> layers = new ArrayList<>();
            for (LinearSlot s : loaded.model().linearSlots()) {
                layers.add(Map.of("name", s.name(), "in", s.get().inFeatures(), "out", s.get().outFeatures()));
            }
            out.put("linear_layers", layers);
            // what the weights take as each --weights-dtype holds them (bf16 would take what fp16 takes; it is refused)
            long frozen = loaded.model().frozenWeightCount();
            long rest = loaded.model().parameterCount() - frozen;
            Map<String, Object> bytes = new LinkedHashMap<>();
            for (WeightsDtype d : WeightsDtype.values()) {
                bytes.put(d.label(), frozen * d.bytes() + rest * Float.BYTES);
            }
            out.put("weights_bytes", bytes);
            if (common.json) {
                common.printJson(out);
                return;
            }
            System.out.printf("%s: %s, %,d parameters, weights %s%n", model, loaded.model().family(), loaded.model().parameterCount(),
                    loaded.model().weightsHash());
            System.out.println("config: " + out.get("config"));
            System.out.printf("weights in memory: fp32 %,d MB, fp16 %,d MB (%,d of the parameters held in 16 bits; bf16 is not available)%n",
                    (Long) bytes.get("fp32") >> 20, (Long) bytes.get("fp16") >> 20, frozen);
            System.out.println(layers.size() + " linear layers:");
            for (Map<String, Object> l : layers) {
                System.out.printf("  %-50s %5d -> %d%n", l.get("name"), (Integer) l.get("in"), (Integer) l.get("out"));
            }
        }
    }
}
