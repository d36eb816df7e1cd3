package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Param;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.TransformerModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A base model with MoORE layers in its target slots, and the adapter's save/load. Checkpoints hold
 * only the trainable tensors, named as the reference does
 * ({@code moore.layers.{i}.self_attn.q_proj.moe_gate.weight}, {@code ….hra_u_in.{i}}, …);
 * the frozen factors are recomputed or read from the factor cache.
 */
public final class MooreModel {
    public static final String WEIGHTS_FILE = "adapter.safetensors";
    public static final String CONFIG_FILE = "adapter_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TransformerModel base;
    private final MooreConfig config;
    private final List<MooreLinear> layers;
    private final List<MoEizer.LayerReport> reports;

    MooreModel(TransformerModel base, MooreConfig config, List<MooreLinear> layers, List<MoEizer.LayerReport> reports) {
        this.base = base;
        this.config = config;
        this.layers = List.copyOf(layers);
        this.reports = List.copyOf(reports);
    }

    public TransformerModel base() {
        return base;
    }

    public MooreConfig config() {
        return config;
    }

    public List<MooreLinear> layers() {
        return layers;
    }

    public List<MoEizer.LayerReport> reports() {
        return reports;
    }

    public List<Param> parameters() {
        List<Param> out = new ArrayList<>();
        layers.forEach(l -> out.addAll(l.parameters()));
        return out;
    }

    public long trainableParameterCount() {
        return parameters().stream().mapToLong(Param::size).sum();
    }

    public void fold() {
        layers.forEach(MooreLinear::fold);
    }

    /** Reference checkpoint name of a parameter: "model." becomes "moore.", Householder rows split into vectors. */
    static String checkpointPrefix(String slotName) {
        return "moore." + (slotName.startsWith("model.") ? slotName.substring(6) : slotName);
    }

    /** Adapter tensors under reference names. */
    public Map<String, HostTensor> stateDict() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (MooreLinear l : layers) {
            for (Param p : l.parameters()) {
                String suffix = p.name().substring(l.name().length());
                String key = checkpointPrefix(l.name()) + suffix;
                HostTensor t = HostTensor.of(p.value());
                if (p == l.householder()) {
                    int rows = (int) t.dim(0);
                    int cols = (int) t.dim(1);
                    for (int i = 0; i < rows; i++) {
                        out.put(key + "." + i, new HostTensor(new long[] {cols}, Arrays.copyOfRange(t.data(), i * cols, (i + 1) * cols)));
                    }
                } else {
                    out.put(key, t);
                }
            }
        }
        return out;
    }

    /** Writes {@code adapter.safetensors} and {@code adapter_config.json} into dir (each atomically). */
    public void save(Path dir, String baseReference) {
        Safetensors.write(dir.resolve(WEIGHTS_FILE), stateDict(), Map.of("method", "moore", "base_hash", base.weightsHash()));
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("method", "moore");
        cfg.set("config", JSON.valueToTree(config));
        cfg.put("base_model", baseReference);
        cfg.put("base_hash", base.weightsHash());
        cfg.put("family", base.family());
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), cfg.toPrettyString() + "\n");
    }

    /** Reads the config saved in an adapter directory. */
    public static MooreConfig readConfig(Path dir) {
        Path f = dir.resolve(CONFIG_FILE);
        try {
            var node = JSON.readTree(f.toFile());
            if (!"moore".equals(node.path("method").asText())) {
                throw new MooreException(f + ": field 'method' is '" + node.path("method").asText() + "', expected 'moore'");
            }
            return JSON.treeToValue(node.get("config"), MooreConfig.class);
        } catch (IOException e) {
            throw new MooreException(f + ": cannot read adapter config: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Loads trained tensors saved by {@link #save}; the base model must be the one they were trained on. */
    public void load(Path dir) {
        Path f = dir.resolve(WEIGHTS_FILE);
        Safetensors.Reader r = Safetensors.open(f);
        String savedHash = r.metadata().get("base_hash");
        if (savedHash != null && !savedHash.equals(base.weightsHash())) {
            throw new MooreException(f + ": adapter was trained on base model " + savedHash + ", this base model is " + base.weightsHash());
        }
        loadState(r);
    }

    /** Loads the tensors of {@link #stateDict()} from an open checkpoint (shapes are checked). */
    public void loadState(Safetensors.Reader r) {
        for (MooreLinear l : layers) {
            for (Param p : l.parameters()) {
                String key = checkpointPrefix(l.name()) + p.name().substring(l.name().length());
                long[] shape = p.value().getShape().getShape();
                HostTensor t;
                if (p == l.householder()) {
                    float[] data = new float[(int) (shape[0] * shape[1])];
                    for (int i = 0; i < shape[0]; i++) {
                        HostTensor row = r.read(key + "." + i, shape[1]);
                        System.arraycopy(row.data(), 0, data, (int) (i * shape[1]), (int) shape[1]);
                    }
                    t = new HostTensor(shape, data);
                } else {
                    t = r.read(key, shape);
                }
                NDArray value = base.manager().create(t.data(), new Shape(shape)).toType(p.value().getDataType(), false);
                p.set(value);
            }
        }
    }
}
